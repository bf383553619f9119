import ArgumentParser
import CLIOptions
import Manager
import ManagerAPI
import ManagerClient

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate documents and write them all in one transaction, or none of them.",
        discussion: """
            Unchanged documents are not rewritten. With --prune, documents that this --source applied \
            before and the files no longer hold are deleted in the same transaction (GitOps).
            """
    )

    @OptionGroup var manager: ManagerOptions

    @Option(name: .shortAndLong, help: "A manifest file or a directory of them (.yaml, .yml, .json). Repeatable.")
    var file: [String]

    @Flag(help: "Delete documents this --source applied before that the files no longer hold.")
    var prune = false

    @Option(help: "Who is applying: documents remember it, and --prune only deletes its own.")
    var source: String = "cli"

    @Flag(help: "Validate and show what would change, without writing.")
    var dryRun = false

    func validate() throws {
        guard !file.isEmpty else { throw ValidationError("give at least one -f FILE|DIR") }
        guard (try? Regex("^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$")).map({ source.wholeMatch(of: $0) != nil }) == true
        else {
            throw ValidationError("--source must be lower-case letters, digits, '-', '_' or '.'")
        }
    }

    func run() async throws {
        let request = ApplyRequest(try loadManifests(file), source: source, prune: prune, dryRun: dryRun)
        let result = try await manager.call { client in try await client.apply(request) }
        for change in result.changes {
            let verb: String
            switch change.action {
            case .create: verb = dryRun ? "would be created" : "created"
            case .update: verb = dryRun ? "would be updated" : "updated"
            case .delete: verb = dryRun ? "would be deleted" : "deleted"
            }
            print("\(change.key) \(verb)")
        }
        for ref in result.unchanged { print("\(ref.key) unchanged") }
    }
}
