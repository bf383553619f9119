/// How to reach the directory.
public struct LDAPOptions: Codable, Sendable, Hashable {
    /// `ldap://host:port` (or `ldaps://`).
    public var uri: String
    /// Upgrade the connection with StartTLS before anything is sent; a failure is an error, never
    /// a fall back to cleartext.
    public var startTLS: Bool
    /// CA certificates that the server's certificate must chain to (with StartTLS or ldaps).
    public var caFile: String?
    /// Seconds allowed to connect.
    public var networkTimeout: Double
    /// Seconds allowed for each operation (bind, search, compare) once connected.
    public var operationTimeout: Double

    public init(
        uri: String,
        startTLS: Bool = false,
        caFile: String? = nil,
        networkTimeout: Double = 2,
        operationTimeout: Double = 3
    ) {
        self.uri = uri
        self.startTLS = startTLS
        self.caFile = caFile
        self.networkTimeout = networkTimeout
        self.operationTimeout = operationTimeout
    }
}
