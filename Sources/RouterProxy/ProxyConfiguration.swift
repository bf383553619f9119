/// Limits and timeouts of the proxy.
public struct ProxyConfiguration: Sendable {
    public var connectTimeout: Duration = .seconds(2)
    /// From the request sent to the backend's response head.
    public var responseTimeout: Duration = .seconds(30)
    /// A client connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A request head (request line and header fields) larger than this is refused with 431;
    /// a larger response head is a 502.
    public var maxHeadBytes: Int = 32 * 1024
    /// Requests declaring a larger body are refused with 413; larger chunked bodies are cut off.
    public var maxBodyBytes: Int = 64 * 1024 * 1024
    /// A backend that refused a connection is skipped for this long (passive health).
    public var ejectFor: Duration = .seconds(10)
    /// Idle keep-alive connections kept per backend and event loop. Below the number of requests
    /// a loop has in flight to one backend, connections are closed and opened again under load
    /// (at 100 concurrent requests per loop and 64 kept, one request in seven opened a connection).
    public var maxIdlePerBackend: Int = 256

    public init() {}
}
