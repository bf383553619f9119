import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient
import ZKModel

struct InstancesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instances",
        abstract:
            "The running instances as their supervisors report them (ROUTED stale: not confirmed by its supervisor's live session)."
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "Only this app's instances.")
    var app: String?

    @Option(help: "Only this environment's instances.")
    var env: String?

    func run() async throws {
        try await manager.eachRegion { try await show($0) }
    }

    private func show(_ manager: ManagerOptions) async throws {
        let (app, env) = (self.app, self.env)
        let rows = try await manager.call { client in try await client.instances(app: app, environment: env).items }
        let header = [
            "INSTANCE", "APP", "ENV", "RELEASE", "ADDRESS", "ZONE", "HOST", "STATE", "ROUTED", "RESTARTS", "LAST ERROR",
        ]
        let table = rows.map { row in
            let (id, s, confirmed) = (row.id, row.status, row.confirmed)
            return [
                id, s.app, s.environment, s.release ?? "-", "\(s.host):\(s.port)", s.zone ?? "-", s.supervisor ?? "-",
                s.state?.rawValue ?? "-",
                !confirmed ? "stale" : s.serving ? "yes" : (s.standby == true ? "warm" : "no"), "\(s.restarts ?? 0)",
                s.lastError ?? "",
            ]
        }
        printTable([header] + table)
    }
}
