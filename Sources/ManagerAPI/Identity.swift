/// `POST /v1/login` (credentials in `Authorization: Basic`): a session token for the user.
public struct LoginResult: Codable, Sendable, Hashable {
    /// Send it as `Authorization: Bearer <token>`; the manager keeps only its hash.
    public var token: String
    public var identity: Identity

    public init(token: String, identity: Identity) {
        self.token = token
        self.identity = identity
    }
}

/// `GET /v1/whoami`: who the token stands for.
public struct Identity: Codable, Sendable, Hashable {
    /// `user` or `machine`.
    public var subject: String
    public var name: String
    /// A user's directory groups; a machine token's team.
    public var teams: [String]
    public var admin: Bool
    /// ISO 8601.
    public var expires: String
    /// A machine token's limits.
    public var app: String?
    public var verbs: [String]?

    public init(
        subject: String,
        name: String,
        teams: [String],
        admin: Bool,
        expires: String,
        app: String? = nil,
        verbs: [String]? = nil
    ) {
        self.subject = subject
        self.name = name
        self.teams = teams
        self.admin = admin
        self.expires = expires
        self.app = app
        self.verbs = verbs
    }
}

/// `POST /v1/tokens`: a machine token for a team (the GitOps job, CI).
public struct TokenRequest: Codable, Sendable, Hashable {
    public var name: String
    public var team: String
    public var app: String?
    public var verbs: [String]?
    /// `90d`, `12h`, `30m`; at most 365 days.
    public var ttl: String

    public init(name: String, team: String, app: String? = nil, verbs: [String]? = nil, ttl: String) {
        self.name = name
        self.team = team
        self.app = app
        self.verbs = verbs
        self.ttl = ttl
    }

    public static let fields: Set<String> = ["name", "team", "app", "verbs", "ttl"]
}

/// A machine token as listed (never the token itself: only its creation answer holds that).
public struct TokenInfo: Codable, Sendable, Hashable {
    /// The first 12 hex digits of the token's hash: what `token revoke` takes.
    public var id: String
    public var name: String
    public var team: String
    public var app: String?
    public var verbs: [String]?
    public var createdBy: String?
    public var created: String
    public var expires: String

    public init(
        id: String,
        name: String,
        team: String,
        app: String?,
        verbs: [String]?,
        createdBy: String?,
        created: String,
        expires: String
    ) {
        self.id = id
        self.name = name
        self.team = team
        self.app = app
        self.verbs = verbs
        self.createdBy = createdBy
        self.created = created
        self.expires = expires
    }
}

/// `POST /v1/tokens`' answer: the token, once.
public struct IssuedToken: Codable, Sendable, Hashable {
    public var token: String
    public var info: TokenInfo

    public init(token: String, info: TokenInfo) {
        self.token = token
        self.info = info
    }
}

/// `GET /v1/tokens`: the machine tokens of the caller's teams (every team's for an admin).
public struct TokenList: Codable, Sendable, Hashable {
    public var items: [TokenInfo]

    public init(items: [TokenInfo]) {
        self.items = items
    }
}
