import ArgumentParser
import RouterCommandLine

@main
struct Atlantis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atlantis",
        abstract: "A PaaS for HTTP applications, with its desired state in ZooKeeper.",
        discussion: """
            User commands go through a manager (--manager, $ATLANTIS_MANAGER, or the current context \
            of `atlantis config`). Exit codes: 0 success, 2 invalid input, 3 conflict (someone else \
            changed it first), 4 the manager or ZooKeeper unreachable, 5 not found, 6 forbidden.
            """,
        subcommands: [
            Apply.self, Get.self, Delete.self, Diff.self, DeployCommand.self, ScaleCommand.self, TeardownCommand.self,
            RolloutCommand.self, InstancesCommand.self, AuditCommand.self, GitOpsCommand.self, ConfigCommand.self,
            LoginCommand.self, LogoutCommand.self, WhoAmICommand.self, TokenCommand.self, SecretsCommand.self,
            BuildCommand.self, BuildsCommand.self, LogsCommand.self,
            ManagerCommand.self,
            RouterCommand.self,
            SchedulerCommand.self,
            BuilderCommand.self,
            SupervisorCommand.self,
            DevCommand.self,
        ]
    )
}
