import AgentOptions
import ArgumentParser
import CLIOptions
import Manager

/// `atlantis apply` as it was before the manager became a service: this process opens ZooKeeper
/// and validates and writes in-process. The anchor of bench/manager.sh.
struct BenchApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply manifests in-process (straight to ZooKeeper), as the CLI did before the manager service."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(name: .shortAndLong, help: "A manifest file or a directory of them. Repeatable.")
    var file: [String]

    @Option(help: "Who is applying.")
    var source: String = "cli"

    func run() async throws {
        let loaded = try cluster.loadManifests(file)
        let options = Manager.ApplyOptions(source: source)
        let plan = try await cluster.withManager { manager throws(ManagerError) in
            try await manager.apply(loaded, options: options)
        }
        print("\(plan.actions.count) changed, \(plan.unchanged.count) unchanged")
    }
}
