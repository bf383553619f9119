/// An image already built from a set of inputs, in `<root>/status/images/<key>` (written by the
/// builder): a build of the same source (commit and path, or archive digest) with the same
/// template version returns it at once instead of building again.
public struct BuiltImage: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "BuiltImage"
    public var image: String
    public var build: String
    public var provenance: BuildProvenance
    public var port: Int?
    public var healthCheck: AppSpec.HealthCheck?

    public init(image: String, build: String, provenance: BuildProvenance) {
        self.image = image
        self.build = build
        self.provenance = provenance
    }
}
