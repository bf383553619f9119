/// A failure talking to the directory. `description` says what to check.
public struct LDAPError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The directory did not answer (down, not answering within the timeout, TLS refused).
        case unavailable
        /// A bind with a wrong password or for an entry that does not exist.
        case invalidCredentials
        /// Input refused before any request was sent (a bad user name, an empty password).
        case refused
        /// Any other result code of the server.
        case server
    }

    public let kind: Kind
    /// The LDAP result code (0 for input refused before any request).
    public let code: Int32
    public let description: String

    public init(_ kind: Kind, code: Int32 = 0, _ description: String) {
        self.kind = kind
        self.code = code
        self.description = description
    }
}
