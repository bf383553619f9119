/// What ended a one-shot watch.
public enum WatchEvent: Hashable, Sendable {
    case created
    case deleted
    case dataChanged
    case childrenChanged
    /// The session that held the watch expired or the client closed: re-read and re-watch.
    case sessionLost
}
