public import AgentOptions
public import ArgumentParser
import Foundation
public import Manager
import ZKAccess
public import ZKModel
public import ZooKeeper

extension ClusterOptions {
    /// Connects and hands a manager to `body`; maps failures to exit codes.
    public func withManager<T>(_ body: (Manager) async throws(ManagerError) -> T) async throws -> T {
        bootstrapLogging()
        let tree = try self.tree
        let client = try await connect()
        do {
            let store = ClusterStore(zk: client, tree: tree, agentCredential: agentAuthentication)
            let result = try await body(Manager(store: store))
            await client.close()
            return result
        } catch {
            await client.close()
            throw fail(error)
        }
    }

    /// Connects and hands the client to `body` (for commands that only read).
    public func withZooKeeper<T>(_ body: (ZooKeeperClient, ZNodeTree) async throws -> T) async throws -> T {
        bootstrapLogging()
        let tree = try self.tree
        let client = try await connect()
        do {
            let result = try await body(client, tree)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    private func connect() async throws -> ZooKeeperClient {
        do {
            return try await ZooKeeperClient.connect(try zooKeeperConfiguration(timeouts: true))
        } catch {
            throw fail(
                ManagerError(
                    .unreachable,
                    "ZooKeeper at \(hosts) is unreachable (\(error)); is it running? (--zk, $ATLANTIS_ZK)"
                )
            )
        }
    }

    /// Reads the manifests of `-f`; invalid input exits with its code.
    public func loadManifests(_ paths: [String]) throws -> [LoadedDocument] {
        do {
            return try ManifestLoader().load(paths: paths)
        } catch {
            throw fail(error)
        }
    }

    /// Prints the error and gives the exit code that stands for it.
    public func fail(_ error: ManagerError) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        return ExitCode(error.exitCode)
    }
}
