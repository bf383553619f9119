/// The life of a client's session, as its users see it.
public enum SessionEvent: Hashable, Sendable {
    /// Connected (or reconnected within the same session: watches and ephemerals are intact).
    case connected(sessionID: Int64)
    /// The connection dropped; the session may still be alive. Leaders must stop acting.
    case suspended
    /// The session is gone with its watches and ephemeral nodes. A new one is being opened:
    /// re-read everything, re-watch, and recreate ephemeral registrations after `.connected`.
    case expired
    /// The client was closed.
    case closed
}
