/// One build, in `<root>/builds/<id>`: what to build for which app and who asked. Written by the
/// manager (never by the builder), changed only to ask for a cancel. The builder's answer is the
/// `BuildStatus` in `<root>/status/builds/<id>`.
///
/// Builds live in the tree of the one region that runs the builder; other regions only ever see
/// the image digest a release pins.
public struct BuildRequest: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Build"
    public var app: String
    public var source: BuildSource
    /// Who asked: a user, `token:<id>`, or `deploy:<name>` for a Deploy's own `build:`.
    public var requestedBy: String
    /// ISO 8601.
    public var requestedAt: String
    /// The Deploy this build releases when it succeeds (a Deploy's `build:`), if any.
    public var deploy: String?
    /// Set by the manager to stop the build (`atlantis build cancel`, `DELETE /v1/builds/<id>`).
    public var cancel: Bool?
    /// Set by the manager once it has recorded the outcome (audit, and the Deploy's release).
    public var recorded: Bool?
    /// The commit a Deploy's ref pointed at when the manager asked for this build.
    public var commit: String?

    public init(app: String, source: BuildSource, requestedBy: String, requestedAt: String, deploy: String? = nil) {
        self.app = app
        self.source = source
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.deploy = deploy
    }

    /// A new build id: `b-<milliseconds since 1970>-<4 hex>`, so ids sort by the time they were made.
    public static func newID(millisecondsSince1970: Int64, random: UInt16) -> String {
        let hex = String(random, radix: 16)
        return "b-\(millisecondsSince1970)-" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Whether `text` is shaped like a build id (checked before it becomes a znode path).
    public static func isValidID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "b" && (1...19).contains(parts[1].count)
            && parts[1].allSatisfy(\.isNumber) && parts[2].count == 4 && parts[2].allSatisfy(\.isHexDigit)
            && parts[2].allSatisfy { !$0.isUppercase }
    }
}
