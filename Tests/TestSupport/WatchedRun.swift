import Synchronization

/// Runs `body` in a task and tells whether it has returned, so a test of "this stops" fails
/// (instead of hanging) when the run never ends.
public final class WatchedRun: Sendable {
    private final class Done: Sendable {
        let value = Mutex(false)
    }
    public let task: Task<Void, Never>
    private let done = Done()

    public init(_ body: @escaping @Sendable () async -> Void) {
        let done = self.done
        task = Task {
            await body()
            done.value.withLock { $0 = true }
        }
    }

    public var ended: Bool { done.value.withLock { $0 } }

    /// Whether the run has ended within `timeout`.
    public func ends(within timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout) { self.ended }
    }
}
