/// What runs the proxy's sockets.
public enum ProxyEngine: String, Sendable, CaseIterable {
    /// NIO's event loops and socket channels.
    case nio
    /// The router's own epoll loops (`EpollLoopGroup`): the same handlers on leaner sockets.
    case epoll
}
