/// The commit a Deploy's `build:` ref points at, as a builder last saw it, in
/// `<root>/status/sources/<deploy>`: the manager turns a new commit into a build.
public struct SourceRevision: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "SourceRevision"
    public var git: BuildSource.Git
    public var commit: String?
    /// Why the ref could not be read, when it could not.
    public var error: String?
    /// ISO 8601.
    public var checkedAt: String

    public init(git: BuildSource.Git, commit: String?, error: String?, checkedAt: String) {
        self.git = git
        self.commit = commit
        self.error = error
        self.checkedAt = checkedAt
    }
}
