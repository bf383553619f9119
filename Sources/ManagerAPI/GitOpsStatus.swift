/// What a GitOps pull job (`atlantis gitops sync`) reports after each attempt, kept by the
/// manager in `<root>/status/gitops/<name>` and read with `atlantis get gitops`.
public struct GitOpsStatus: Codable, Sendable, Hashable {
    public var name: String
    public var repo: String
    public var ref: String
    public var path: String
    public var source: String
    /// The last commit applied in full.
    public var commit: String?
    /// When that commit was applied (ISO 8601).
    public var syncedAt: String?
    /// When the job last tried (ISO 8601).
    public var attemptedAt: String
    /// What differed from the commit at the last attempt (`create App "x"`, ...), corrected by it
    /// unless `lastError` says otherwise.
    public var drift: [String]
    public var lastError: String?

    public init(
        name: String,
        repo: String,
        ref: String,
        path: String,
        source: String,
        commit: String? = nil,
        syncedAt: String? = nil,
        attemptedAt: String,
        drift: [String] = [],
        lastError: String? = nil
    ) {
        self.name = name
        self.repo = repo
        self.ref = ref
        self.path = path
        self.source = source
        self.commit = commit
        self.syncedAt = syncedAt
        self.attemptedAt = attemptedAt
        self.drift = drift
        self.lastError = lastError
    }

    public static let fields: Set<String> = [
        "name", "repo", "ref", "path", "source", "commit", "syncedAt", "attemptedAt", "drift", "lastError",
    ]
    public static let maxDrift = 100
    public static let maxText = 2000

    /// What is wrong with a report, if anything (sizes are bounded: znodes stay small).
    public var problem: String? {
        if drift.count > Self.maxDrift { return "drift lists \(drift.count) entries; at most \(Self.maxDrift)" }
        for (field, value) in [
            ("repo", repo), ("ref", ref), ("path", path), ("source", source), ("commit", commit ?? ""),
            ("lastError", lastError ?? ""), ("attemptedAt", attemptedAt), ("syncedAt", syncedAt ?? ""),
        ] where value.utf8.count > Self.maxText {
            return "\(field) is \(value.utf8.count) bytes; at most \(Self.maxText)"
        }
        if let long = drift.first(where: { $0.utf8.count > 512 }) {
            return "a drift entry is too long: \(long.prefix(40))…"
        }
        return nil
    }
}

public struct GitOpsList: Codable, Sendable, Hashable {
    public var items: [GitOpsStatus]
    public init(items: [GitOpsStatus]) { self.items = items }
}
