import Foundation

/// Where a multi-region deploy stands, kept beside the CLI's config after every step so that a
/// client that died can resume (`atlantis deploy … --regions …` again with the same image).
public struct RegionDeployState: Codable, Sendable, Hashable {
    public enum Step: String, Codable, Sendable {
        /// Not tried yet (or tried and refused before anything was written).
        case pending
        /// Every router of the region serves the new release.
        case done
        /// Cannot be reached, rolled back automatically or timed out; see `message`.
        case failed
        /// Was done, then moved back to `previous` because a later region failed (`--on-failure rollback`).
        case rolledBack
    }

    public struct Entry: Codable, Sendable, Hashable {
        public var region: String
        public var step: Step
        /// The region's current release before this deploy (nil: the Deploy was new there).
        public var previous: Int?
        /// The release this deploy made there.
        public var release: Int?
        public var message: String?

        public init(region: String, step: Step, previous: Int? = nil, release: Int? = nil, message: String? = nil) {
            self.region = region
            self.step = step
            self.previous = previous
            self.release = release
            self.message = message
        }
    }

    public var app: String
    public var environment: String
    /// The digest every region runs, and the repository it is found under in every registry.
    public var repository: String
    public var digest: String
    public var startedAt: String
    public var entries: [Entry]

    public func entry(_ region: String) -> Entry? { entries.first { $0.region == region } }

    public mutating func update(_ region: String, _ change: (inout Entry) -> Void) {
        guard let index = entries.firstIndex(where: { $0.region == region }) else { return }
        change(&entries[index])
    }

    /// A new state for these regions, or the saved one when it is the same image's deploy (a
    /// resumption): regions named now but not then are added as pending.
    public static func resuming(
        _ saved: RegionDeployState?,
        app: String,
        environment: String,
        repository: String,
        digest: String,
        regions: [String],
        now: String
    ) -> (state: RegionDeployState, resumed: Bool) {
        if var saved, saved.app == app, saved.environment == environment, saved.digest == digest,
            saved.repository == repository
        {
            for name in regions where saved.entry(name) == nil {
                saved.entries.append(Entry(region: name, step: .pending))
            }
            // A region rolled back or failed before is tried again; a done one is left as it is.
            for index in saved.entries.indices where saved.entries[index].step != .done {
                saved.entries[index].step = .pending
            }
            return (saved, true)
        }
        let entries = regions.map { Entry(region: $0, step: .pending) }
        return (
            RegionDeployState(
                app: app,
                environment: environment,
                repository: repository,
                digest: digest,
                startedAt: now,
                entries: entries
            ), false
        )
    }

    /// `<config folder>/deploys/<app>-<environment>.json`.
    public static func path(app: String, environment: String) -> String {
        let folder = (ClientConfig.path as NSString).deletingLastPathComponent
        return "\(folder)/deploys/\(app)-\(environment).json"
    }

    public static func load(app: String, environment: String) -> RegionDeployState? {
        guard let data = FileManager.default.contents(atPath: path(app: app, environment: environment)) else {
            return nil
        }
        return try? JSONDecoder().decode(RegionDeployState.self, from: data)
    }

    public func save() throws {
        let file = Self.path(app: app, environment: environment)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: Self.path(app: app, environment: environment))
    }
}
