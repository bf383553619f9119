/// One immutable release of a Deploy, in `<root>/releases/<deploy>/r-<number>`: exactly what its
/// instances run (the Deploy's image and limits, and its App's port, env, health check and
/// dependencies as they were when it was made). Written by the manager, never changed.
public struct Release: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Release"
    public var deploy: String
    public var number: Int
    public var app: String
    public var environment: String
    public var image: String
    public var port: Int
    public var env: [String: String]?
    public var healthCheck: AppSpec.HealthCheck?
    public var dependsOn: [String]?
    /// The App's `dependsOnApps` when it was made.
    public var dependsOnApps: [AppDependency]?
    public var cpu: Double?
    public var memoryMB: Int?
    /// The revision of the environment's secrets (`SecretSet`) it was made with: a change of
    /// secrets is a new release, which rolls like an image change.
    public var secrets: Int?
    /// ISO 8601.
    public var createdAt: String
    /// Why it was made: `apply by cli`, `undo to r-3`, ...
    public var cause: String

    public init(
        deploy: String,
        number: Int,
        app: String,
        environment: String,
        image: String,
        port: Int,
        env: [String: String]?,
        healthCheck: AppSpec.HealthCheck?,
        dependsOn: [String]?,
        cpu: Double?,
        memoryMB: Int?,
        createdAt: String,
        cause: String
    ) {
        self.deploy = deploy
        self.number = number
        self.app = app
        self.environment = environment
        self.image = image
        self.port = port
        self.env = env
        self.healthCheck = healthCheck
        self.dependsOn = dependsOn
        self.cpu = cpu
        self.memoryMB = memoryMB
        self.createdAt = createdAt
        self.cause = cause
    }

    /// This release with `secrets` as its secrets' revision.
    public func with(secrets: Int?) -> Release {
        var copy = self
        copy.secrets = secrets
        return copy
    }

    public static func name(_ number: Int) -> String {
        let digits = String(number)
        return "r-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    /// Whether two releases run the same thing (number, time and cause aside).
    public func sameContent(as other: Release) -> Bool {
        var a = self
        var b = other
        (a.number, a.createdAt, a.cause) = (0, "", "")
        (b.number, b.createdAt, b.cause) = (0, "", "")
        return a == b
    }

    /// What an instance of this release is given on its host.
    public func assignment(instance: String) -> InstanceAssignment {
        var assignment = InstanceAssignment(
            instance: instance,
            app: app,
            environment: environment,
            image: image,
            port: port,
            release: Release.name(number),
            env: env,
            healthCheck: healthCheck,
            cpu: cpu,
            memoryMB: memoryMB,
            dependsOn: dependsOn,
            secrets: secrets
        )
        assignment.dependsOnApps = dependsOnApps
        return assignment
    }
}

/// `<root>/releases/<deploy>`: which release the Deploy runs now. Moved by the manager in the same
/// transaction that writes a new release (or, for `rollout undo`, alone).
public struct ReleasePointer: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "ReleasePointer"
    public var current: Int
    /// The highest release number made so far (numbers are never reused).
    public var latest: Int

    public init(current: Int, latest: Int) {
        self.current = current
        self.latest = latest
    }
}

/// `<root>/audit/e-<seq>`: one accepted write, appended by the manager in the same transaction
/// as the change it records — who (the caller, the source), what (each document with its version
/// before and after; a release pointer's move), when. Small by construction: at most
/// `maxChanges` documents are listed, the rest counted.
public struct AuditRecord: Codable, Hashable, Sendable {
    /// One document the write created, changed or deleted.
    public struct Change: Codable, Hashable, Sendable {
        public var action: String
        public var kind: String
        public var name: String
        /// ZooKeeper data versions; nil before a create and after a delete.
        public var before: Int32?
        public var after: Int32?

        public init(action: String, kind: String, name: String, before: Int32?, after: Int32?) {
            self.action = action
            self.kind = kind
            self.name = name
            self.before = before
            self.after = after
        }
    }

    public static let maxChanges = 32

    public var apiVersion: String = Document.apiVersion
    public var kind: String = "AuditRecord"
    public var time: String
    public var source: String
    /// `apply`, `delete`, `teardown` (documents); `release`, `undo` (a release pointer's move);
    /// `secrets` (names only); `denied` (a refused write: `reason` says why); `build` (asked),
    /// `built` (its image recorded), `cancel-build`.
    public var action: String
    /// Why a write was refused (`denied` only).
    public var reason: String?
    /// Who asked, as the manager saw them (an address now; a user once there are users).
    public var caller: String?
    /// The apps the write touches (what `atlantis audit --app` selects by).
    public var apps: [String]?
    public var changes: [Change]?
    /// Changes beyond the `maxChanges` listed.
    public var more: Int?
    public var deploy: String?
    public var from: Int?
    public var to: Int?
    /// `build`, `built`, `cancel-build`: the build, and once built the commit and the image digest.
    public var build: String?
    public var commit: String?
    public var image: String?

    public init(time: String, source: String, action: String, deploy: String, from: Int?, to: Int) {
        self.time = time
        self.source = source
        self.action = action
        self.deploy = deploy
        self.from = from
        self.to = to
    }

    public init(
        time: String,
        source: String,
        action: String,
        caller: String?,
        apps: [String],
        changes: [Change]
    ) {
        self.time = time
        self.source = source
        self.action = action
        self.caller = caller
        self.apps = apps.isEmpty ? nil : apps
        self.changes = Array(changes.prefix(Self.maxChanges))
        self.more = changes.count > Self.maxChanges ? changes.count - Self.maxChanges : nil
    }
}
