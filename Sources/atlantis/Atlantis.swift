import ArgumentParser

@main
struct Atlantis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atlantis",
        abstract: "A PaaS for HTTP applications, with its desired state in ZooKeeper.",
        discussion: """
            Exit codes: 0 success, 2 invalid input, 3 conflict (someone else changed it first), \
            4 ZooKeeper unreachable, 5 not found, 6 forbidden.
            """,
        subcommands: [
            Apply.self, Get.self, Delete.self, Diff.self, DeployCommand.self, ScaleCommand.self, TeardownCommand.self,
            RolloutCommand.self, InstancesCommand.self, RouterCommand.self, SchedulerCommand.self,
            SupervisorCommand.self,
            DevCommand.self,
        ]
    )
}
