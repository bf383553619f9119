import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import Logging
import Reconciler
import Scheduler
import ServiceLifecycle
import ZKModel

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run a scheduler: places each Deploy's instances on live supervisors (one leader at a time).",
        discussion: """
            Spreads instances over zones, then hosts, within capacity; rolls releases out with maxSurge / \
            maxUnavailable and rolls back a release not healthy within its deadline; replaces the instances of \
            a supervisor gone longer than --lost-after. Run several: one leads, the others wait.
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "This scheduler's name in the election (default: scheduler-<pid>).")
    var id: String?

    @Option(
        help:
            "Seconds a supervisor's registration may be gone before its instances are placed elsewhere (after its session expires: --session-timeout). A supervisor back within it keeps its instances."
    )
    var lostAfter: Int = 4

    func run() async throws {
        cluster.bootstrapLogging()
        let logger = Logger(label: "atlantis.scheduler")
        let tree = try cluster.tree
        let identity = id ?? "scheduler-\(ProcessInfo.processInfo.processIdentifier)"
        let configuration = SchedulerAgent.Configuration(identity: identity, lostHostGrace: .seconds(Int64(lostAfter)))
        let service = ZooKeeperAgentService(configuration: try cluster.zooKeeperConfiguration()) { zk in
            print("scheduler \(identity): campaigning in \(tree.election(.scheduler))")
            return SchedulerAgent(zk: zk, tree: tree, configuration: configuration)
        }
        try await ServiceGroup.process([service], logger: logger).run()
    }
}
