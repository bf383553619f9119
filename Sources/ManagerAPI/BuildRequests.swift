public import ZKModel

/// `POST /v1/apps/{app}/builds`: build the app from an uploaded archive (`POST …/sources`
/// returned its digest) or from a git repository.
public struct BuildCreateRequest: Codable, Sendable, Hashable {
    public var source: BuildSource

    public init(source: BuildSource) {
        self.source = source
    }

    public static let fields: Set<String> = ["source"]
}

/// `POST /v1/apps/{app}/sources`: the uploaded archive, stored in the registry as a blob.
public struct SourceUploaded: Codable, Sendable, Hashable {
    public var digest: String
    public var size: Int
    public var files: Int

    public init(digest: String, size: Int, files: Int) {
        self.digest = digest
        self.size = size
        self.files = files
    }
}

/// One build: what was asked and what the builder reports.
public struct BuildInfo: Codable, Sendable, Hashable {
    public var id: String
    public var app: String
    public var source: BuildSource
    public var requestedBy: String
    public var requestedAt: String
    public var deploy: String?
    public var cancelRequested: Bool?
    public var phase: BuildPhase
    public var attempt: Int?
    public var image: String?
    public var provenance: BuildProvenance?
    public var reused: Bool?
    public var message: String?
    public var logTail: String?
    public var updatedAt: String?

    public init(id: String, request: BuildRequest, status: BuildStatus?) {
        self.id = id
        self.app = request.app
        self.source = request.source
        self.requestedBy = request.requestedBy
        self.requestedAt = request.requestedAt
        self.deploy = request.deploy
        self.cancelRequested = request.cancel
        self.phase = status?.phase ?? .queued
        self.attempt = status?.attempt
        self.image = status?.image
        self.provenance = status?.provenance
        self.reused = status?.reused
        self.message = status?.message
        self.logTail = status?.logTail
        self.updatedAt = status?.updatedAt
    }
}

/// `GET /v1/apps/{app}/builds`: newest first.
public struct BuildList: Codable, Sendable, Hashable {
    public var builds: [BuildInfo]

    public init(builds: [BuildInfo]) {
        self.builds = builds
    }
}
