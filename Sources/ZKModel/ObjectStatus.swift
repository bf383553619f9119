/// What an agent observed of one object, in `<root>/status/<kind>/<name>`: written only by the
/// agent that reconciles it, never by the manager, so it never bumps the spec's generation.
public struct ObjectStatus: Codable, Hashable, Sendable {
    public struct Condition: Codable, Hashable, Sendable {
        /// `Ready`, `Progressing`, `Degraded`.
        public var type: String
        /// `True`, `False` or `Unknown`.
        public var status: String
        /// One CamelCase word.
        public var reason: String
        public var message: String
        /// ISO 8601; changes only when `status` changes.
        public var lastTransitionTime: String

        public init(type: String, status: String, reason: String, message: String = "", lastTransitionTime: String = "")
        {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
            self.lastTransitionTime = lastTransitionTime
        }
    }

    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Status"
    /// The spec generation this status describes.
    public var observedGeneration: Int
    /// Which reconciler wrote it.
    public var reconciler: String
    public var conditions: [Condition]
    public var lastError: String?
    /// Deploys: the release rolled out (or being rolled out) and the instance counts.
    public var rollout: Rollout?

    public struct Rollout: Codable, Hashable, Sendable {
        /// The release the pointer names.
        public var release: Int
        /// The release the instances are converging to (differs after an automatic rollback).
        public var target: Int
        public var desired: Int
        /// Instances of the target release that pass their health check.
        public var healthy: Int
        /// Instances of other releases still running.
        public var old: Int
        /// Instances per zone.
        public var zones: [String: Int]
        /// True when every instance runs the target release and is healthy.
        public var complete: Bool

        public init(
            release: Int,
            target: Int,
            desired: Int,
            healthy: Int,
            old: Int,
            zones: [String: Int],
            complete: Bool
        ) {
            self.release = release
            self.target = target
            self.desired = desired
            self.healthy = healthy
            self.old = old
            self.zones = zones
            self.complete = complete
        }
    }

    public init(
        observedGeneration: Int,
        reconciler: String,
        conditions: [Condition],
        lastError: String? = nil,
        rollout: Rollout? = nil
    ) {
        self.observedGeneration = observedGeneration
        self.reconciler = reconciler
        self.conditions = conditions
        self.lastError = lastError
        self.rollout = rollout
    }

    public func condition(_ type: String) -> Condition? {
        conditions.first { $0.type == type }
    }
}
