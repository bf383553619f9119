public import Hummingbird
public import NIOCore

/// Per request: the caller's address (for the access log and, later, authorization).
public struct ManagerRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Bodies are limited by `ManagerServiceConfiguration.maxBodyBytes`, read by `RequestBody`.
    public var maxUploadSize: Int { Int.max }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// `ip:port` of the caller, or `-`.
    public var caller: String {
        guard let remoteAddress else { return "-" }
        return "\(remoteAddress.ipAddress ?? "?"):\(remoteAddress.port ?? 0)"
    }
}
