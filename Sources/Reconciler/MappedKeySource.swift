import Synchronization

/// Another source's keys, each turned into the key a reconciler works on (a build id into its
/// app, so that one app's builds are serialized). A key that maps to nothing now (deleted) maps
/// to what it mapped to last.
public final class MappedKeySource: KeySource, Sendable {
    public let source: any KeySource
    let map: @Sendable (String) -> String?
    private let last = Mutex([String: String]())

    public init(_ source: any KeySource, map: @escaping @Sendable (String) -> String?) {
        self.source = source
        self.map = map
    }

    func mapped(_ key: String) -> String? {
        if let now = map(key) {
            last.withLock { $0[key] = now }
            return now
        }
        return last.withLock { $0.removeValue(forKey: key) }
    }

    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let changes = source.changes()
        let task = Task {
            for await key in changes {
                if let mapped = self.mapped(key) { continuation.yield(mapped) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func allKeys() -> [String] {
        Array(Set(source.allKeys().compactMap { mapped($0) }))
    }

    /// Each mapped key as recent as the newest key that maps to it.
    public func keysByRecency() -> [(key: String, recency: Int64)] {
        var newest: [String: Int64] = [:]
        for (key, recency) in source.keysByRecency() {
            guard let mapped = mapped(key) else { continue }
            newest[mapped] = max(newest[mapped] ?? .min, recency)
        }
        return newest.map { ($0.key, $0.value) }
    }

    public func waitUntilSynced() async throws { try await source.waitUntilSynced() }
}
