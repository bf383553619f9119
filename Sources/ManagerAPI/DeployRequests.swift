public import ZKModel

/// `POST /v1/apps/{app}/environments/{env}/deploy`: run an image (a new release).
public struct DeployRequest: Codable, Sendable, Hashable {
    public var image: String
    /// Instances; unchanged when absent (1 for a new Deploy).
    public var instances: Int?
    public var source: String?

    public init(image: String, instances: Int? = nil, source: String? = nil) {
        self.image = image
        self.instances = instances
        self.source = source
    }

    public static let fields: Set<String> = ["image", "instances", "source"]
}

/// `POST /v1/apps/{app}/environments/{env}/scale`.
public struct ScaleRequest: Codable, Sendable, Hashable {
    public var instances: Int
    public var source: String?

    public init(instances: Int, source: String? = nil) {
        self.instances = instances
        self.source = source
    }

    public static let fields: Set<String> = ["instances", "source"]
}

/// What a deploy, scale or undo wrote: follow it with `GET /v1/deploys/{deploy}/events`.
public struct DeployResult: Codable, Sendable, Hashable {
    public var deploy: String
    public var generation: Int
    public var release: Int
    /// The release it points at after an undo.
    public var image: String?

    public init(deploy: String, generation: Int, release: Int, image: String? = nil) {
        self.deploy = deploy
        self.generation = generation
        self.release = release
        self.image = image
    }
}

/// `POST /v1/deploys/{name}/undo`.
public struct UndoRequest: Codable, Sendable, Hashable {
    public var to: Int?
    public var from: Int?

    public init(to: Int? = nil, from: Int? = nil) {
        self.to = to
        self.from = from
    }

    public static let fields: Set<String> = ["to", "from"]
}

/// `GET /v1/deploys/{name}/releases`.
public struct ReleaseHistory: Codable, Sendable, Hashable {
    public var current: Int?
    public var releases: [Release]

    public init(current: Int?, releases: [Release]) {
        self.current = current
        self.releases = releases
    }
}

/// `GET /v1/deploys/{name}/rollout`: one look at where the rollout stands.
public struct RolloutState: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable { case pending, done, rolledBack }
    public var deploy: String
    public var release: Int
    public var generation: Int
    public var line: String
    public var outcome: Outcome

    public init(deploy: String, release: Int, generation: Int, line: String, outcome: Outcome) {
        self.deploy = deploy
        self.release = release
        self.generation = generation
        self.line = line
        self.outcome = outcome
    }
}

/// `GET /v1/instances`: what each supervisor reports, and whether its live session confirms it.
public struct InstanceReport: Codable, Sendable, Hashable {
    public var id: String
    public var status: InstanceStatus
    public var confirmed: Bool

    public init(id: String, status: InstanceStatus, confirmed: Bool) {
        self.id = id
        self.status = status
        self.confirmed = confirmed
    }
}

public struct InstanceList: Codable, Sendable, Hashable {
    public var items: [InstanceReport]
    /// With `?deploy=NAME`: whether the scheduler still has a placement for it.
    public var placed: Bool?

    public init(items: [InstanceReport], placed: Bool? = nil) {
        self.items = items
        self.placed = placed
    }
}
