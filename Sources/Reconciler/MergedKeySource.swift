/// Several sources whose every change means the same one key (e.g. "rebuild the routing table").
public struct MergedKeySource: KeySource {
    public let sources: [any KeySource]
    public let key: String

    public init(_ sources: [any KeySource], key: String) {
        self.sources = sources
        self.key = key
    }

    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let streams = sources.map { $0.changes() }
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for s in streams {
                    group.addTask {
                        for await _ in s { continuation.yield(key) }
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func allKeys() -> [String] { [key] }

    public func waitUntilSynced() async throws {
        for source in sources { try await source.waitUntilSynced() }
    }
}
