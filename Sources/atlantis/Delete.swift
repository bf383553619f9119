import ArgumentParser
import CLIOptions
import Manager
import ZKModel

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete one document; refused while other documents refer to it."
    )

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "apps, deploys, services, routes, zones or teams.")
    var kind: String

    @Argument(help: "The document's name.")
    var name: String

    func validate() throws { _ = try kindArgument(kind) }

    func run() async throws {
        let key = DocumentKey(kind: try kindArgument(kind), name: name)
        try await cluster.withManager { manager throws(ManagerError) in
            _ = try await manager.delete(key)
        }
        print("\(key) deleted")
    }
}
