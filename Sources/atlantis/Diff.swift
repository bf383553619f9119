import ArgumentParser
import CLIOptions
import ManagerAPI
import ManagerClient

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what `apply` would change. Exits 0 when nothing would, 1 when something would."
    )

    @OptionGroup var manager: ManagerOptions

    @Option(name: .shortAndLong, help: "A manifest file or a directory of them. Repeatable.")
    var file: [String]

    @Flag(help: "Also show what --prune would delete.")
    var prune = false

    @Option(help: "The source whose documents --prune considers.")
    var source: String = "cli"

    func run() async throws {
        let request = ApplyRequest(try loadManifests(file), source: source, prune: prune, dryRun: true)
        let result = try await manager.call { client in try await client.apply(request, diff: true) }
        if result.changes.isEmpty {
            print("no changes (\(result.unchanged.count) document\(result.unchanged.count == 1 ? "" : "s") unchanged)")
            return
        }
        print(result.diff)
        throw ExitCode(1)
    }
}
