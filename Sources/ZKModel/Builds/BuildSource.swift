/// Where a build's source comes from: an archive uploaded through the manager (kept in the
/// registry as a blob, named by its sha256) or a git repository at a ref (resolved by the builder
/// to a commit, which it records).
public struct BuildSource: Codable, Hashable, Sendable {
    public struct Archive: Codable, Hashable, Sendable {
        /// `sha256:<hex>` of the tar.
        public var digest: String
        public var size: Int

        public init(digest: String, size: Int) {
            self.digest = digest
            self.size = size
        }
    }

    public struct Git: Codable, Hashable, Sendable {
        public var url: String
        /// A branch, a tag or a commit (default `HEAD`).
        public var ref: String?
        /// The app's folder inside the repository (default: its root).
        public var path: String?

        public init(url: String, ref: String? = nil, path: String? = nil) {
            self.url = url
            self.ref = ref
            self.path = path
        }
    }

    public var archive: Archive?
    public var git: Git?

    public init(archive: Archive) { self.archive = archive }
    public init(git: Git) { self.git = git }

    /// One line for listings: `archive sha256:1a2b3c4d5e6f` or `git URL#ref`.
    public var summary: String {
        if let archive { return "archive \(archive.digest.prefix(19))" }
        if let git { return "git \(git.url)#\(git.ref ?? "HEAD")\(git.path.map { ":" + $0 } ?? "")" }
        return "none"
    }
}
