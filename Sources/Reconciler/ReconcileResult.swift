/// What a reconcile asks the engine to do next with its key.
public enum ReconcileResult: Hashable, Sendable {
    /// Converged: forget the key until something changes (or the next resync).
    case done
    /// Converged for now, look again later (health checks, timeouts). Resets the backoff.
    case requeue(after: Duration)
}

/// An error that retrying cannot fix (bad input): logged, counted and written to status, not retried.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// An error that retrying may fix (a missing release, no free port): retried with backoff, and its
/// message goes to status and logs.
public struct ReconcileFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
