import Foundation
public import ZKModel

/// What the dashboard shows, decoded from the watched znodes (each node decoded once per
/// version): the desired documents, their statuses, the instances, the agents, the builds.
public struct ClusterModel: Sendable {
    public struct DeployView: Sendable, Hashable {
        public var name: String
        public var spec: DeploySpec
        public var generation: Int

        public init(name: String, spec: DeploySpec, generation: Int) {
            self.name = name
            self.spec = spec
            self.generation = generation
        }
    }

    public struct SupervisorView: Sendable, Hashable {
        public var registration: SupervisorRegistration
        /// The session that holds the registration (instances written by it are current).
        public var owner: Int64

        public init(registration: SupervisorRegistration, owner: Int64) {
            self.registration = registration
            self.owner = owner
        }
    }

    public var apps: [String: AppSpec] = [:]
    public var teams: [String: TeamSpec] = [:]
    public var deploys: [String: DeployView] = [:]
    public var routes: [String: RouteSpec] = [:]
    public var deployStatus: [String: ObjectStatus] = [:]
    public var pointers: [String: ReleasePointer] = [:]
    public var instances: [String: InstanceStatus] = [:]
    public var supervisors: [String: SupervisorView] = [:]
    public var routers: [String: RouterReport] = [:]
    public var builds: [String: BuildRequest] = [:]
    public var buildStatus: [String: BuildStatus] = [:]
    /// Release histories, loaded for the Deploys a page has looked at.
    public var releases: [String: [Release]] = [:]

    public init() {}

    /// The Deploy of an app's environment.
    public func deploy(app: String, environment: String) -> DeployView? {
        deploys.values.first { $0.spec.app == app && $0.spec.environment == environment }
    }

    /// The instances of an app's environment, by id.
    public func instances(app: String, environment: String) -> [(id: String, status: InstanceStatus)] {
        instances.filter { $0.value.app == app && $0.value.environment == environment }
            .map { (id: $0.key, status: $0.value) }.sorted { $0.id < $1.id }
    }

    /// Whether a report comes from the live session of its supervisor (else it is stale).
    public func isCurrent(_ status: InstanceStatus) -> Bool {
        status.isCurrent(registrationOwner: status.supervisor.flatMap { supervisors[$0]?.owner })
    }

    /// Per zone: instances that serve (current and healthy) and all reported.
    public func zones(app: String, environment: String) -> [(zone: String, serving: Int, total: Int)] {
        var counts: [String: (Int, Int)] = [:]
        for (_, status) in instances(app: app, environment: environment) where status.standby != true {
            let zone = status.zone ?? "-"
            var count = counts[zone] ?? (0, 0)
            count.1 += 1
            if status.serving && isCurrent(status) { count.0 += 1 }
            counts[zone] = count
        }
        return counts.map { (zone: $0.key, serving: $0.value.0, total: $0.value.1) }.sorted { $0.zone < $1.zone }
    }

    public typealias ZoneCounts = [(zone: String, serving: Int, total: Int)]

    /// `zones(app:environment:)` of every environment at once (`app/env` → counts), and how
    /// many instances each supervisor runs per `app/env`: one pass over the instances.
    public func index() -> (zones: [String: ZoneCounts], placed: [String: [String: Int]]) {
        var counts: [String: [String: (Int, Int)]] = [:]
        var placed: [String: [String: Int]] = [:]
        for status in instances.values {
            let key = "\(status.app)/\(status.environment)"
            if let host = status.supervisor { placed[host, default: [:]][key, default: 0] += 1 }
            guard status.standby != true else { continue }
            var count = counts[key, default: [:]][status.zone ?? "-"] ?? (0, 0)
            count.1 += 1
            if status.serving && isCurrent(status) { count.0 += 1 }
            counts[key, default: [:]][status.zone ?? "-"] = count
        }
        let zones = counts.mapValues { byZone in
            byZone.map { (zone: $0.key, serving: $0.value.0, total: $0.value.1) }.sorted { $0.zone < $1.zone }
        }
        return (zones, placed)
    }

    /// The environments an app has (from its Deploys).
    public func environments(of app: String) -> [String] {
        deploys.values.filter { $0.spec.app == app }.map(\.spec.environment).sorted()
    }

    /// The image of the current release (from the history when loaded, else the Deploy's).
    public func currentImage(deploy: String) -> String? {
        let current = pointers[deploy]?.current
        if let current, let release = releases[deploy]?.first(where: { $0.number == current }) { return release.image }
        return deploys[deploy]?.spec.image
    }
}
