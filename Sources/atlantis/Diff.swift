import ArgumentParser
import CLIOptions
import Manager

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what `apply` would change. Exits 0 when nothing would, 1 when something would."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(name: .shortAndLong, help: "A manifest file or a directory of them. Repeatable.")
    var file: [String]

    @Flag(help: "Also show what --prune would delete.")
    var prune = false

    @Option(help: "The source whose documents --prune considers.")
    var source: String = "cli"

    func run() async throws {
        let loaded = try cluster.loadManifests(file)
        let options = Manager.ApplyOptions(source: source, prune: prune, dryRun: true)
        let plan = try await cluster.withManager { manager throws(ManagerError) in
            try await manager.apply(loaded, options: options)
        }
        if plan.isEmpty {
            print("no changes (\(plan.unchanged.count) document\(plan.unchanged.count == 1 ? "" : "s") unchanged)")
            return
        }
        print(DocumentFormatter.describe(plan))
        throw ExitCode(1)
    }
}
