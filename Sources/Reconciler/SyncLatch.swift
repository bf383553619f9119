import Synchronization

/// A key source's "listed once" gate. It opens once; `wait()` returns when it is open, or throws
/// `CancellationError` as soon as the waiting task is cancelled: a source that cannot list
/// (dockerd or ZooKeeper unreachable) must not hold an agent that is being stopped.
public final class SyncLatch: Sendable {
    private struct State {
        var open = false
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var next = 0
    }
    private let state = Mutex(State())

    public init() {}

    public var isOpen: Bool { state.withLock { $0.open } }

    public func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            guard !s.open else { return [] }
            s.open = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public func wait() async throws {
        let id = state.withLock { s -> Int in
            s.next += 1
            return s.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                // Decided under the lock, so a cancellation that came before the waiter was parked is
                // not missed: the handler below has run by then and found nothing to resume.
                enum Outcome { case open, cancelled, parked }
                let outcome = state.withLock { s -> Outcome in
                    if s.open { return .open }
                    if Task.isCancelled { return .cancelled }
                    s.waiters[id] = c
                    return .parked
                }
                switch outcome {
                case .open: c.resume()
                case .cancelled: c.resume(throwing: CancellationError())
                case .parked: break
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
