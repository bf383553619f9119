import Agents
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import ZKModel
import ZooKeeper

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run a scheduler: places each Deploy's instances on live supervisors (one leader at a time).",
        discussion: """
            Spreads instances over zones, then hosts, within capacity; rolls releases out with maxSurge / \
            maxUnavailable and rolls back a release not healthy within its deadline; replaces the instances of \
            a supervisor gone longer than --lost-after. Run several: one leads, the others wait.
            """)

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "This scheduler's name in the election (default: scheduler-<pid>).")
    var id: String?

    @Option(help: "Seconds a supervisor may be gone before its instances are placed elsewhere.")
    var lostAfter: Int = 10

    func run() async throws {
        cluster.bootstrapLogging()
        let logger = Logger(label: "atlantis.scheduler")
        let tree = try ZNodeTree(root: cluster.root)
        let credentials = (cluster.zkAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK_AUTH"]).map {
            [ZooKeeperConfiguration.Credential(secret: $0)]
        } ?? []
        let identity = id ?? "scheduler-\(ProcessInfo.processInfo.processIdentifier)"
        let configuration = SchedulerAgent.Configuration(identity: identity, lostHostGrace: .seconds(Int64(lostAfter)))
        let service = ZooKeeperAgentService(
            configuration: ZooKeeperConfiguration(connectionString: cluster.hosts, credentials: credentials),
            makeAgent: { zk in
                print("scheduler \(identity): campaigning in \(tree.elections)/scheduler")
                return SchedulerAgent(zk: zk, tree: tree, configuration: configuration)
            })
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
