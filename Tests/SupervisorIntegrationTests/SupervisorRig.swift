import AsyncHTTPClient
import Docker
import Foundation
import Logging
import Manager
import Reconciler
import ServiceLifecycle
import TestSupport
import ZKModel
import ZooKeeper

@testable import Supervisor

/// A supervisor against the real dockerd and ZooKeeper, under a ZooKeeper root and a host id of
/// its own; `cleanUp` removes every container it made.
final class SupervisorRig: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: Repository.root)
    static let zkHosts = TestZooKeeper.hosts

    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let hostID: String
    let http = DockerClient.makeHTTPClient()
    let docker: DockerClient
    var configuration: SupervisorConfiguration
    var agent: SupervisorAgent?
    var group: ServiceGroup?
    var runTask: Task<Void, Never>?

    init(
        ports: ClosedRange<Int>,
        zone: String = "z1",
        nsenter: String = "nsenter",
        gateShell: String = "/bin/busybox",
        warmSandboxes: Int = 0
    ) async throws {
        let suffix = UUID().uuidString.prefix(6).lowercased()
        zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: Self.zkHosts))
        tree = try ZNodeTree(root: "/suptest-\(suffix)")
        hostID = "h-\(suffix)"
        docker = DockerClient(http: http)
        configuration = SupervisorConfiguration(
            hostID: hostID,
            zone: zone,
            ports: ports,
            stopGrace: 2,
            healthInterval: .seconds(1),
            restartBackoff: .init(base: .milliseconds(500), cap: .seconds(5)),
            nsenter: nsenter,
            gateShell: gateShell
        )
        configuration.warmSandboxes = warmSandboxes
    }

    /// Runs `body` with a new rig and always cleans up (its containers removed) before returning.
    static func with(
        ports: ClosedRange<Int>,
        zone: String = "z1",
        nsenter: String = "nsenter",
        gateShell: String = "/bin/busybox",
        warmSandboxes: Int = 0,
        _ body: (SupervisorRig) async throws -> Void
    ) async throws {
        let rig = try await SupervisorRig(
            ports: ports,
            zone: zone,
            nsenter: nsenter,
            gateShell: gateShell,
            warmSandboxes: warmSandboxes
        )
        do {
            try await body(rig)
        } catch {
            await rig.cleanUp()
            throw error
        }
        await rig.cleanUp()
    }

    /// Starts the supervisor in this process, in a ServiceGroup (as `atlantis supervisor` does).
    func start() {
        let agent = SupervisorAgent(zk: zk, tree: tree, configuration: configuration, docker: docker, http: http)
        let group = ServiceGroup(configuration: .init(services: [.init(service: agent)], logger: Logger(label: "test")))
        self.agent = agent
        self.group = group
        runTask = Task { try? await group.run() }
    }

    /// Cancels the supervisor (as a crash would, minus the process).
    func kill() async {
        runTask?.cancel()
        await runTask?.value
        runTask = nil
    }

    func assign(_ a: InstanceAssignment) async throws {
        let body = Array(try JSONEncoder().encode(a))
        let path = "\(tree.assignments(host: hostID))/\(a.instance)"
        try await zk.ensurePath(tree.assignments(host: hostID))
        if try await zk.exists(path) == nil {
            try await zk.create(path, data: body)
        } else {
            try await zk.setData(path, data: body)
        }
    }

    func unassign(_ instance: String) async throws {
        try await zk.delete("\(tree.assignments(host: hostID))/\(instance)")
    }

    func status(_ instance: String) async -> InstanceStatus? {
        guard let (data, _) = try? await zk.getData("\(tree.instanceStatus)/\(instance)") else { return nil }
        return try? JSONDecoder().decode(InstanceStatus.self, from: Data(data))
    }

    func containers() async throws -> [ContainerSummary] {
        try await docker.containers(labels: ["atlantis.host=\(hostID)"])
    }

    /// The host's containers that run an instance (not its warm sandboxes).
    func instanceContainers() async throws -> [ContainerSummary] {
        try await containers().filter { $0.labels["atlantis.instance"] != nil }
    }

    /// The host's network sandboxes (`SandboxPool`).
    func sandboxes() async throws -> [ContainerSummary] {
        try await containers().filter { $0.labels["atlantis.role"] == "sandbox" }
    }

    func service(_ name: String, endpoints: [(String, Int)]) async throws {
        let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        let list = endpoints.map { "{host: \($0.0), port: \($0.1)}" }.joined(separator: ", ")
        let documents = try ManifestLoader().parse(
            "apiVersion: atlantis/v1\nkind: Service\nmetadata: {name: \(name)}\nspec: {endpoints: [\(list)]}\n",
            file: "test.yaml"
        )
        try await manager.apply(documents, options: .init())
    }

    func cleanUp() async {
        await kill()
        for c in (try? await containers()) ?? [] { try? await docker.remove(container: c.id) }
        await zk.close()
        try? await http.shutdown()
    }

    static func sample(
        _ instance: String,
        image: String = "atlantis/sample:v1",
        dependsOn: [String]? = nil
    ) -> InstanceAssignment {
        InstanceAssignment(
            instance: instance,
            app: "sample",
            environment: "test",
            image: image,
            port: 8080,
            healthCheck: .init(path: "/health", intervalSeconds: 1, timeoutSeconds: 1),
            memoryMB: 32,
            dependsOn: dependsOn
        )
    }
}
