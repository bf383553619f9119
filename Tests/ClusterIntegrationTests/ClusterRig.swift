import AsyncHTTPClient
import Docker
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Reconciler
import RouterData
import RouterProxy
import TestSupport
import ZKModel
import ZooKeeper

@testable import Manager
@testable import RouterAgent
@testable import Scheduler
@testable import Supervisor

/// A small cluster in this process against the real dockerd and ZooKeeper: supervisors in
/// zones (each with its own ZooKeeper session, so killing one drops its registration), a
/// scheduler, a router, and the manager, under a root of its own.
final class ClusterRig: @unchecked Sendable {
    struct Node {
        var zk: ZooKeeperClient
        var task: Task<Void, Never>
    }

    let tree: ZNodeTree
    let zkHosts: String
    let admin: ZooKeeperClient
    let http = DockerClient.makeHTTPClient()
    let docker: DockerClient
    let suffix = UUID().uuidString.prefix(6).lowercased()
    var supervisors: [String: Node] = [:]
    var scheduler: Node?
    var router: Node?
    var routerPort = 0
    var listener: (any Channel)?
    var hostIDs: [String] = []

    init(zkHosts: String = TestZooKeeper.hosts) async throws {
        self.zkHosts = zkHosts
        tree = try ZNodeTree(root: "/deploytest-\(suffix)")
        admin = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zkHosts))
        docker = DockerClient(http: http)
        try await ClusterStore(zk: admin, tree: tree).bootstrap()
    }

    /// Runs `body` with a new cluster and always tears it down (containers removed) before returning.
    static func with(zkHosts: String = TestZooKeeper.hosts, _ body: (ClusterRig) async throws -> Void) async throws {
        let rig = try await ClusterRig(zkHosts: zkHosts)
        do {
            try await body(rig)
        } catch {
            await rig.cleanUp()
            throw error
        }
        await rig.cleanUp()
    }

    var manager: Manager { Manager(store: ClusterStore(zk: admin, tree: tree)) }

    func startSupervisor(zone: String, ports: ClosedRange<Int>) async throws {
        let id = "\(zone)-\(suffix)"
        let zk = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: zkHosts, sessionTimeout: .seconds(4))
        )
        var configuration = SupervisorConfiguration(
            hostID: id,
            zone: zone,
            ports: ports,
            stopGrace: 1,
            healthInterval: .milliseconds(500),
            restartBackoff: .init(base: .milliseconds(500), cap: .seconds(5)),
            drainDelay: .milliseconds(300)
        )
        configuration.logsPort = Loopback.freePort()
        let agent = SupervisorAgent(zk: zk, tree: tree, configuration: configuration, docker: docker, http: http)
        supervisors[zone] = Node(zk: zk, task: Task { try? await agent.run() })
        hostIDs.append(id)
    }

    /// The supervisor's process dies: its session ends, its containers stay (as on a real host
    /// whose agent crashed; the test removes them at the end).
    func killSupervisor(zone: String) async {
        guard let node = supervisors.removeValue(forKey: zone) else { return }
        node.task.cancel()
        await node.task.value
        await node.zk.close()
    }

    var extraSchedulers: [String: Node] = [:]

    func startScheduler(lostAfter: Duration = .seconds(1), identity: String = "test-scheduler") async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zkHosts))
        let agent = SchedulerAgent(
            zk: zk,
            tree: tree,
            configuration: .init(identity: identity, lostHostGrace: lostAfter)
        )
        let node = Node(zk: zk, task: Task { try? await agent.run() })
        if scheduler == nil { scheduler = node } else { extraSchedulers[identity] = node }
    }

    /// The scheduler leading now, killed as a crash would (its session ends with it).
    func killLeadingScheduler() async throws -> String? {
        let election = LeaderElection(zk: admin, folder: tree.election(.scheduler), identity: "observer")
        guard let leader = try await election.currentLeader() else { return nil }
        let node: Node?
        if extraSchedulers[leader] != nil {
            node = extraSchedulers.removeValue(forKey: leader)
        } else {
            node = scheduler
            scheduler = nil
        }
        node?.task.cancel()
        await node?.task.value
        await node?.zk.close()
        return leader
    }

    func startRouter() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zkHosts))
        let tables = TableSource()
        let proxy = ProxyServer(tables: tables)
        listener = try await proxy.bind(host: "127.0.0.1", port: 0)
        routerPort = listener!.localAddress!.port!
        let agent = RouterAgent(
            zk: zk,
            tree: tree,
            tables: tables,
            id: "r-\(suffix)",
            address: "127.0.0.1:\(routerPort)",
            statePath: nil
        )
        router = Node(zk: zk, task: Task { try? await agent.run() })
    }

    func apply(_ yaml: String) async throws {
        try await manager.apply(try ManifestLoader().parse(yaml, file: "test.yaml"), options: .init())
    }

    static func app(healthPath: String = "/health") -> String {
        """
        apiVersion: atlantis/v1
        kind: Team
        metadata: {name: demo}
        spec: {members: [ann]}
        ---
        apiVersion: atlantis/v1
        kind: App
        metadata: {name: sample}
        spec: {team: demo, port: 8080, healthCheck: {path: \(healthPath), intervalSeconds: 1, timeoutSeconds: 1}}
        """
    }

    static func deploy(image: String, instances: Int, deadline: Int = 60, surge: Int = 1) -> String {
        """
        apiVersion: atlantis/v1
        kind: Deploy
        metadata: {name: sample-prod}
        spec:
          app: sample
          environment: prod
          image: \(image)
          instances: \(instances)
          rollout: {maxSurge: \(surge), maxUnavailable: 0, progressDeadlineSeconds: \(deadline)}
        """
    }

    static let route = """
        apiVersion: atlantis/v1
        kind: Route
        metadata: {name: sample}
        spec: {host: sample.test, pool: {app: sample, environment: prod}}
        """

    var watcher: RolloutWatcher { RolloutWatcher(zk: admin, tree: tree) }

    func deployStatus() async -> ObjectStatus? {
        try? await StatusWriter.read(DocumentKey(kind: .deploy, name: "sample-prod"), zk: admin, tree: tree)
    }

    func placement() async -> Placement? {
        guard let (data, _) = try? await admin.getData("\(tree.placements)/sample-prod") else { return nil }
        return try? JSONDecoder().decode(Placement.self, from: Data(data))
    }

    func instances() async -> [InstanceStatus] {
        (try? await watcher.instances(app: "sample", environment: "prod")) ?? []
    }

    /// Waits until the deploy has rolled out `release` and every router serves it.
    func rolledOut(_ release: Int, timeout: Duration = .seconds(40)) async throws -> RolloutWatcher.Outcome {
        let generation = try await manager.get(.deploy, name: "sample-prod").first?.document.metadata.generation ?? 1
        return try await watcher.waitRolledOut(
            deploy: "sample-prod",
            release: release,
            generation: generation,
            timeout: timeout
        ) { _ in }
    }

    func get(_ path: String) async -> (Int, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(routerPort)\(path)")
        request.headers.add(name: "Host", value: "sample.test")
        do {
            let response = try await http.execute(request, timeout: .seconds(3))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            return (0, "\(error)")
        }
    }

    func containers() async throws -> [ContainerSummary] {
        var all: [ContainerSummary] = []
        for id in hostIDs { all += try await docker.containers(labels: ["atlantis.host=\(id)"]) }
        return all
    }

    func cleanUp() async {
        for zone in Array(supervisors.keys) { await killSupervisor(zone: zone) }
        for node in [scheduler].compactMap({ $0 }) + Array(extraSchedulers.values) {
            node.task.cancel()
            await node.task.value
            await node.zk.close()
        }
        router?.task.cancel()
        await router?.task.value
        await router?.zk.close()
        try? await listener?.close().get()
        for c in (try? await containers()) ?? [] { try? await docker.remove(container: c.id) }
        await admin.close()
        try? await http.shutdown()
    }
}

extension ClusterRig {
    /// A host that is only a registration (ephemeral, on the admin session): the scheduler places
    /// on it, nothing runs there. Returns its id.
    @discardableResult
    func registerHost(zone: String, containers: Int = 50, id: String? = nil) async throws -> String {
        let id = id ?? "\(zone)-fake-\(suffix)"
        let registration = SupervisorRegistration(
            id: id,
            zone: zone,
            region: nil,
            address: "127.0.0.1",
            capacity: .init(cpu: 8, memoryMB: 8192, containers: containers),
            ports: nil
        )
        try await admin.ensurePath(tree.supervisors)
        try await admin.create(tree.supervisor(id), data: try Payload.encode(registration), mode: .ephemeral)
        return id
    }

    func placement(_ deploy: String) async -> Placement? {
        guard let (data, _) = try? await admin.getData(tree.placement(deploy: deploy)) else { return nil }
        return try? Payload.decode(Placement.self, from: data, path: "placement")
    }

    func status(deploy: String) async -> ObjectStatus? {
        try? await StatusWriter.read(DocumentKey(kind: .deploy, name: deploy), zk: admin, tree: tree)
    }

    /// A Deploy of the sample app in `environment`, named `sample-<environment>`.
    static func deploy(environment: String, instances: Int = 1) -> String {
        """
        apiVersion: atlantis/v1
        kind: Deploy
        metadata: {name: sample-\(environment)}
        spec: {app: sample, environment: \(environment), image: atlantis/sample:v1, instances: \(instances)}
        """
    }
}
