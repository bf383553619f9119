import AsyncHTTPClient
import Docker
import Foundation
import Logging
import ServiceLifecycle
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Supervisor

@Suite("A supervisor whose dockerd cannot be reached")
struct SupervisorStopTests {
    /// Its Docker key source never lists, so its controller never passed its wait for the first
    /// listing: the agent could not be stopped (`atlantis bench supervisor` hung in its cleanup).
    @Test(arguments: ["cancel", "graceful shutdown"])
    func stillStops(stop: String) async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: SupervisorRig.zkHosts))
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let tree = try ZNodeTree(root: "/suptest-\(suffix)")
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(socketPath: "/nonexistent/docker.sock", http: http)
        let configuration = SupervisorConfiguration(hostID: "h-\(suffix)", zone: "z1", ports: 23980...23989)
        let agent = SupervisorAgent(zk: zk, tree: tree, configuration: configuration, docker: docker, http: http)
        let group = ServiceGroup(configuration: .init(services: [.init(service: agent)], logger: Logger(label: "test")))
        let run = WatchedRun { if stop == "cancel" { try? await agent.run() } else { try? await group.run() } }
        try await Task.sleep(for: .milliseconds(500))
        #expect(!run.ended, "the supervisor stopped by itself")
        if stop == "cancel" { run.task.cancel() } else { await group.triggerGracefulShutdown() }
        let ended = await run.ends(within: .seconds(15))
        #expect(ended, "the supervisor did not stop after a \(stop)")
        if ended { try await http.shutdown() }  // a hung agent still holds the client
        await zk.close()
    }
}
