/// `PUT /v1/apps/{app}/environments/{env}/secrets`: set some secrets and remove others, in one
/// change (one new release).
public struct SecretsRequest: Codable, Sendable, Hashable {
    public var set: [String: String]?
    public var unset: [String]?
    public var source: String?

    public init(set: [String: String]? = nil, unset: [String]? = nil, source: String? = nil) {
        self.set = set
        self.unset = unset
        self.source = source
    }

    public static let fields: Set<String> = ["set", "unset", "source"]
}

/// An environment's secrets by name: values are never sent back.
public struct SecretsInfo: Codable, Sendable, Hashable {
    public var app: String
    public var environment: String
    public var names: [String]
    public var revision: Int
    public var updated: String?
    /// After a change: the Deploy whose new release rolls it out.
    public var deploy: String?
    public var release: Int?

    public init(
        app: String,
        environment: String,
        names: [String],
        revision: Int,
        updated: String?,
        deploy: String? = nil,
        release: Int? = nil
    ) {
        self.app = app
        self.environment = environment
        self.names = names
        self.revision = revision
        self.updated = updated
        self.deploy = deploy
        self.release = release
    }
}
