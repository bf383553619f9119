import Foundation
import Reconciler
public import ZKModel
public import ZooKeeper

/// Follows a Deploy from the outside (the CLI): its status as the scheduler writes it, its
/// instances, and whether every router already routes its app to exactly the healthy instances.
public struct RolloutWatcher: Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree

    public init(zk: ZooKeeperClient, tree: ZNodeTree) {
        self.zk = zk
        self.tree = tree
    }

    public enum Outcome: Sendable, Equatable {
        case done
        case rolledBack(String)
        case timedOut(String)
    }

    /// One look at the deploy: a line to show, and whether it is finished.
    public struct Progress: Sendable, Equatable {
        public var line: String
        public var outcome: Outcome?
    }

    /// Waits until the Deploy runs `release` on every instance, all healthy, and every router
    /// routes to exactly those (or until it is rolled back, or `timeout`). `onChange` gets every
    /// new progress line.
    public func waitRolledOut(
        deploy: String,
        release: Int,
        generation: Int,
        timeout: Duration,
        onChange: (String) -> Void
    ) async throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while true {
            let progress = try await look(deploy: deploy, release: release, generation: generation)
            if progress.line != last {
                onChange(progress.line)
                last = progress.line
            }
            if let outcome = progress.outcome { return outcome }
            if ContinuousClock.now > deadline { return .timedOut(last) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    public func look(deploy: String, release: Int, generation: Int) async throws -> Progress {
        let status = try await StatusWriter.read(DocumentKey(kind: .deploy, name: deploy), zk: zk, tree: tree)
        guard let status, status.observedGeneration >= generation, let rollout = status.rollout,
            rollout.release == release
        else {
            return Progress(
                line: "waiting for the scheduler to see generation \(generation), release \(release)",
                outcome: nil
            )
        }
        let ready = status.condition(.ready)
        if ready?.reason == "RolledBack" {
            return Progress(line: ready?.message ?? "rolled back", outcome: .rolledBack(ready?.message ?? ""))
        }
        let zones = rollout.zones.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
        let counts =
            "release \(rollout.target): \(rollout.healthy)/\(rollout.desired) healthy, \(rollout.old) old; zones \(zones)"
        if let error = status.lastError { return Progress(line: "\(counts) — \(error)", outcome: nil) }
        guard rollout.complete else { return Progress(line: counts, outcome: nil) }
        // The status may predate a restart: the instances must be confirmed by live supervisors.
        let spec = try await deploySpec(deploy)
        let confirmed = try await instances(app: spec?.app ?? "", environment: spec?.environment ?? "", current: true)
            .filter { $0.serving && Self.of($0, release: release) }.count
        if confirmed < rollout.desired {
            return Progress(
                line: "\(counts); \(confirmed)/\(rollout.desired) confirmed by their supervisors",
                outcome: nil
            )
        }
        let pending = try await routersBehind(deploy: deploy, release: release)
        if !pending.isEmpty {
            return Progress(line: "\(counts); waiting for routers \(pending.joined(separator: ", "))", outcome: nil)
        }
        return Progress(line: "\(counts); every router serves it", outcome: .done)
    }

    /// Whether an instance runs `release` (one that does not say is counted as running it).
    static func of(_ status: InstanceStatus, release: Int?) -> Bool {
        guard let release, let runs = status.release else { return true }
        return runs == Release.name(release)
    }

    /// Routers whose pool for the deploy's app and environment differs from its healthy instances
    /// (of `release`, when given: an instance of an older release still served means traffic has
    /// not moved yet, though the scheduler counts it gone once its placement is).
    public func routersBehind(deploy: String, release: Int? = nil) async throws -> [String] {
        guard let spec = try await deploySpec(deploy) else { return [] }
        let backends = try await instances(app: spec.app, environment: spec.environment, current: true)
            .filter { $0.serving && Self.of($0, release: release) }.map {
                "\($0.host):\($0.port)"
            }
        let expected = RouterReport.digest(backends: backends)
        let pool = RouterReport.poolName(app: spec.app, environment: spec.environment)
        var behind: [String] = []
        for id in (try? await zk.children(tree.routers)) ?? [] {
            guard let (data, _) = try? await zk.getData(tree.router(id)),
                let report = try? Payload.decode(RouterReport.self, from: data, path: tree.router(id))
            else { continue }
            let served = try? await report.digest(of: pool, router: id, tree: tree) { path in
                try? await zk.getData(path).data
            }
            guard let served = served ?? nil else { continue }
            if served != expected { behind.append(id) }
        }
        return behind.sorted()
    }

    /// One instance report, and whether it is confirmed: written by the session that holds its
    /// supervisor's registration now (what routers and the scheduler count).
    public struct Report: Sendable {
        public var id: String
        public var status: InstanceStatus
        public var confirmed: Bool
    }

    /// Every instance report, of one app and environment when given, in id order.
    public func reports(app: String? = nil, environment: String? = nil) async throws -> [Report] {
        var out: [Report] = []
        var owners: [String: Int64] = [:]
        let ids = ((try? await zk.children(tree.instanceStatus)) ?? []).sorted()
        for (id, status) in zip(ids, await statuses(ids)) {
            guard let status, app == nil || status.app == app, environment == nil || status.environment == environment
            else { continue }
            var owner: Int64?
            if let host = status.supervisor {
                if owners[host] == nil {
                    owners[host] = (try? await zk.exists(tree.supervisor(host)))?.ephemeralOwner ?? 0
                }
                owner = owners[host]
            }
            out.append(Report(id: id, status: status, confirmed: status.isCurrent(registrationOwner: owner)))
        }
        return out
    }

    /// The reports `ids` name, in their order (nil: gone or unreadable), read `concurrency` at a
    /// time: one at a time, 2,000 reports took 350 ms, and a deploy's wait reads them twice a look.
    func statuses(_ ids: [String], concurrency: Int = 64) async -> [InstanceStatus?] {
        let (zk, tree) = (self.zk, self.tree)
        return await withTaskGroup(of: (Int, InstanceStatus?).self) { group in
            var out = [InstanceStatus?](repeating: nil, count: ids.count)
            var next = 0
            func readNext() {
                let (index, path) = (next, tree.instanceStatus(ids[next]))
                next += 1
                group.addTask {
                    guard let (data, _) = try? await zk.getData(path) else { return (index, nil) }
                    return (index, try? Payload.decode(InstanceStatus.self, from: data, path: path))
                }
            }
            while next < min(concurrency, ids.count) { readNext() }
            for await (index, status) in group {
                out[index] = status
                if next < ids.count { readNext() }
            }
            return out
        }
    }

    /// Every instance reported for an app's environment; with `current`, only confirmed ones.
    public func instances(app: String, environment: String, current: Bool = false) async throws -> [InstanceStatus] {
        try await reports(app: app, environment: environment).filter { !current || $0.confirmed }.map(\.status)
    }

    private func deploySpec(_ deploy: String) async throws -> DeploySpec? {
        let (data, _) = try await zk.getData(tree.desired(DocumentKey(kind: .deploy, name: deploy)))
        guard let value = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            let document = try? DocumentValidator().validate(value).get()
        else { return nil }
        return try? document.decodeSpec(DeploySpec.self)
    }

    /// Waits until a torn-down Deploy has no placement and no instance left.
    public func waitTornDown(
        deploy: String,
        app: String,
        environment: String,
        timeout: Duration,
        onChange: (String) -> Void
    ) async throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while true {
            let placed = try await zk.exists(tree.placement(deploy: deploy)) != nil
            let left = try await instances(app: app, environment: environment).count
            let line =
                left == 0 && !placed ? "no instance left" : "\(left) instance\(left == 1 ? "" : "s") still running"
            if line != last {
                onChange(line)
                last = line
            }
            if left == 0 && !placed { return .done }
            if ContinuousClock.now > deadline { return .timedOut(line) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
