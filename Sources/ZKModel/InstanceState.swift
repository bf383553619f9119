/// Where an instance is in its life, as its supervisor reports it (`InstanceStatus.state`; the
/// schema's enum lists the same values, and a test keeps the two equal).
public enum InstanceState: String, Codable, Hashable, Sendable, CaseIterable {
    case pending
    case pulling
    /// Its container runs; its health check has not passed (yet).
    case starting
    /// Its container runs and its health check passes.
    case running
    /// Being stopped: its assignment is gone.
    case stopping
    case exited
    /// Crashed; waiting out the restart backoff.
    case backoff
    /// Could not be started (a missing image, no free port, a container that will not run).
    case failed
}
