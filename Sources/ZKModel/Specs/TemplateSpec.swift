/// A known build template (`templates/<name>/template.yaml`, applied as a `Template` document by
/// an admin): the base image it starts from, pinned by digest, the Dockerfile it renders, and
/// the small files it adds to the build context. Bumping `version` makes every app built from it
/// build again; nothing else does.
public struct TemplateSpec: Codable, Hashable, Sendable {
    /// Changes whenever the template's output may change (`1`, `2`, `2024-05-1`).
    public var version: String
    /// `registry/name@sha256:…`; absent for `dockerfile`, whose app names its base in `FROM`.
    public var baseImage: String?
    /// A Mustache template of the Dockerfile (see docs/builds.md for its variables); absent
    /// for `dockerfile`.
    public var dockerfile: String?
    /// Files added to the build context under `.atlantis/`, path → contents.
    public var files: [String: String]?
    /// For `dockerfile`: the base images a `FROM` may name, each `registry/name@sha256:…`.
    /// `FROM registry/name` (no digest) is pinned to the digest listed here.
    public var bases: [String]?
    /// Whether the template runs the app's `run` command (false for `static`).
    public var needsRun: Bool?
    public var description: String?

    public init(version: String, baseImage: String? = nil, dockerfile: String? = nil) {
        self.version = version
        self.baseImage = baseImage
        self.dockerfile = dockerfile
    }
}
