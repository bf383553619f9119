/// Any change in `trigger` means every key `keys()` returns now (e.g. a Service changed: every
/// instance that may depend on it; a supervisor left: every Deploy).
public struct FanOutKeySource: KeySource {
    public let trigger: any KeySource
    public let keys: @Sendable () -> [String]

    public init(trigger: any KeySource, keys: @escaping @Sendable () -> [String]) {
        self.trigger = trigger
        self.keys = keys
    }

    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let changes = trigger.changes()
        let keys = self.keys
        let task = Task {
            for await _ in changes {
                for key in keys() { continuation.yield(key) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Its keys belong to other sources, which resync them.
    public func allKeys() -> [String] { [] }

    public func waitUntilSynced() async throws { try await trigger.waitUntilSynced() }
}
