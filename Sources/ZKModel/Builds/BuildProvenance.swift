/// Where an image came from: what was built, with what, by whom and when.
public struct BuildProvenance: Codable, Hashable, Sendable {
    /// The git commit SHA the ref resolved to (git sources).
    public var commit: String?
    /// `sha256:` of the uploaded archive (archive sources).
    public var sourceDigest: String?
    public var template: String
    public var templateVersion: String
    /// The base image, by digest (for `dockerfile`, the first `FROM`).
    public var baseImage: String?
    /// sha256 of the build config (`atlantis.yaml`) as read.
    public var configHash: String
    /// The builder's host that built it.
    public var builder: String
    /// ISO 8601.
    public var startedAt: String
    public var durationMs: Int

    public init(
        commit: String?,
        sourceDigest: String?,
        template: String,
        templateVersion: String,
        baseImage: String?,
        configHash: String,
        builder: String,
        startedAt: String,
        durationMs: Int
    ) {
        self.commit = commit
        self.sourceDigest = sourceDigest
        self.template = template
        self.templateVersion = templateVersion
        self.baseImage = baseImage
        self.configHash = configHash
        self.builder = builder
        self.startedAt = startedAt
        self.durationMs = durationMs
    }
}
