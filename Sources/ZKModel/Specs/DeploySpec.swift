public struct DeploySpec: Codable, Hashable, Sendable {
    /// Build the app from a git repository and release each new commit of `ref`.
    public struct Build: Codable, Hashable, Sendable {
        public var git: String
        /// A branch or tag (default `HEAD`).
        public var ref: String?
        /// The app's folder in the repository.
        public var path: String?
        /// How often the builder looks at the ref (default 60).
        public var pollSeconds: Int?

        public init(git: String, ref: String? = nil, path: String? = nil) {
            self.git = git
            self.ref = ref
            self.path = path
        }

        public static let defaultPollSeconds = 60

        /// The build source this asks for.
        public var source: BuildSource.Git { BuildSource.Git(url: git, ref: ref, path: path) }
    }

    public struct Zones: Codable, Hashable, Sendable {
        public var policy: String?
        /// Restricts the deploy to these zones; absent means every zone.
        public var only: [String]?
    }

    public var app: String
    public var environment: String
    public var image: String?
    public var build: Build?
    public var instances: Int
    /// Cores per instance.
    public var cpu: Double?
    public var memoryMB: Int?
    public var zones: Zones?
    public var rollout: Rollout?

    public init(app: String, environment: String, image: String? = nil, instances: Int) {
        self.app = app
        self.environment = environment
        self.image = image
        self.instances = instances
    }

    public struct Rollout: Codable, Hashable, Sendable {
        /// Instances above `instances` while rolling out (default 1).
        public var maxSurge: Int?
        /// Healthy instances below `instances` allowed while rolling out (default 0).
        public var maxUnavailable: Int?
        /// A release not healthy within this many seconds is rolled back (default 60).
        public var progressDeadlineSeconds: Int?
        /// How long a replaced release keeps running, unrouted, for a rollback in milliseconds
        /// (default 120; 0 stops it at once).
        public var keepWarmSeconds: Int?

        public init(maxSurge: Int? = nil, maxUnavailable: Int? = nil, progressDeadlineSeconds: Int? = nil) {
            self.maxSurge = maxSurge
            self.maxUnavailable = maxUnavailable
            self.progressDeadlineSeconds = progressDeadlineSeconds
        }

        public static let defaultMaxSurge = 1
        public static let defaultMaxUnavailable = 0
        public static let defaultProgressDeadlineSeconds = 60
        public static let defaultKeepWarmSeconds = 120

        /// The settings in force: what the spec says, else the defaults.
        public var resolved: Resolved {
            Resolved(
                maxSurge: maxSurge ?? Self.defaultMaxSurge,
                maxUnavailable: maxUnavailable ?? Self.defaultMaxUnavailable,
                progressDeadlineSeconds: progressDeadlineSeconds ?? Self.defaultProgressDeadlineSeconds,
                keepWarmSeconds: keepWarmSeconds ?? Self.defaultKeepWarmSeconds
            )
        }

        /// A rollout's settings with every default filled in.
        public struct Resolved: Hashable, Sendable {
            public var maxSurge: Int
            public var maxUnavailable: Int
            public var progressDeadlineSeconds: Int
            public var keepWarmSeconds: Int

            public init(maxSurge: Int, maxUnavailable: Int, progressDeadlineSeconds: Int, keepWarmSeconds: Int) {
                self.maxSurge = maxSurge
                self.maxUnavailable = maxUnavailable
                self.progressDeadlineSeconds = progressDeadlineSeconds
                self.keepWarmSeconds = keepWarmSeconds
            }
        }
    }

    /// The rollout settings in force for this Deploy.
    public var rolloutSettings: Rollout.Resolved { (rollout ?? Rollout()).resolved }
}
