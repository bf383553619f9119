import ArgumentParser
import CLIOptions
import Manager
import ZKModel

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show documents of one kind, or one document.")

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "apps, deploys, services, routes, zones or teams.")
    var kind: String

    @Argument(help: "The document's name; all of the kind when omitted.")
    var name: String?

    @Option(name: .shortAndLong, help: "table, json or yaml.")
    var output: DocumentFormatter.Format = .table

    func validate() throws { _ = try kindArgument(kind) }

    func run() async throws {
        let kind = try kindArgument(kind)
        let format = output
        let (documents, statuses) = try await cluster.withManager { manager throws(ManagerError) in
            let documents = try await manager.get(kind, name: name)
            let statuses = format == .table ? try await manager.statuses(of: documents) : [:]
            return (documents, statuses)
        }
        if documents.isEmpty && output == .table {
            print("no \(kind.plural)")
            return
        }
        print(DocumentFormatter.render(documents, format: output, single: name != nil, statuses: statuses))
    }
}
