import ArgumentParser
import CLIOptions
import Manager
import ManagerAPI
import ManagerClient
import ZKModel

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show documents of one kind, or one document.")

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "apps, deploys, services, routes, zones or teams.")
    var kind: String

    @Argument(help: "The document's name; all of the kind when omitted.")
    var name: String?

    @Option(name: .shortAndLong, help: "table, json or yaml.")
    var output: DocumentFormatter.Format = .table

    func validate() throws { _ = try kindArgument(kind) }

    func run() async throws {
        let kind = try kindArgument(kind)
        let (name, table) = (self.name, output == .table)
        let items = try await manager.call { client in
            if let name { return [try await client.get(kind, name)] }
            return try await client.list(kind, status: table)
        }
        if items.isEmpty && table {
            print("no \(kind.plural)")
            return
        }
        var statuses: [DocumentKey: ObjectStatus] = [:]
        let documents = items.compactMap { item -> StoredDocument? in
            guard let stored = item.stored else { return nil }
            if let status = item.status { statuses[stored.document.key] = status }
            return stored
        }
        print(DocumentFormatter.render(documents, format: output, single: name != nil, statuses: statuses))
    }
}
