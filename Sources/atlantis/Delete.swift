import ArgumentParser
import CLIOptions
import ManagerClient
import ZKModel

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete one document; refused while other documents refer to it."
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "apps, deploys, services, routes, zones or teams.")
    var kind: String

    @Argument(help: "The document's name.")
    var name: String

    @Option(help: "Delete only if the document is still at this version (the ETag of GET /v1/{kind}/{name}).")
    var ifVersion: Int32?

    func validate() throws { _ = try kindArgument(kind) }

    func run() async throws {
        let key = DocumentKey(kind: try kindArgument(kind), name: name)
        let version = ifVersion
        _ = try await manager.call { client in try await client.delete(key.kind, key.name, ifVersion: version) }
        print("\(key) deleted")
    }
}
