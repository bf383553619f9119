/// `<root>/auth/tokens/<sha256 of the token>`: what a token stands for. Written by the manager
/// when it issues a token (`atlantis login`, `atlantis token create`), read on every request,
/// deleted to revoke it. The token itself is never stored.
public struct TokenRecord: Codable, Hashable, Sendable {
    public enum Subject: String, Codable, Hashable, Sendable {
        /// A person's session (`atlantis login`): their teams come from the directory.
        case user
        /// A machine's token (GitOps, CI): it belongs to `team`, not to whoever made it.
        case machine
    }

    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Token"
    public var subject: Subject
    /// The user name, or the machine token's name.
    public var name: String
    /// A machine token's team (a Team document's name).
    public var team: String?
    /// A machine token limited to one app.
    public var app: String?
    /// A machine token limited to these verbs (apply, delete, deploy, scale, undo, teardown, secrets, logs).
    public var verbs: [String]?
    /// Who made it (a machine token), for `token list`.
    public var createdBy: String?
    /// Seconds since 1970.
    public var created: Double
    public var expires: Double

    public init(
        subject: Subject,
        name: String,
        team: String? = nil,
        app: String? = nil,
        verbs: [String]? = nil,
        createdBy: String? = nil,
        created: Double,
        expires: Double
    ) {
        self.subject = subject
        self.name = name
        self.team = team
        self.app = app
        self.verbs = verbs
        self.createdBy = createdBy
        self.created = created
        self.expires = expires
    }

    /// The verbs a machine token may be limited to.
    public static let verbs: Set<String> = [
        "apply", "delete", "deploy", "scale", "undo", "teardown", "secrets", "logs",
    ]
}
