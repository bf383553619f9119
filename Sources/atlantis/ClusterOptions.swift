import Agents
public import ArgumentParser
import Foundation
import Logging
import Synchronization
import ZKModel
import ZooKeeper

private let loggingBootstrapped = Mutex(false)

/// How every command reaches the cluster.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("zk"), help: "ZooKeeper hosts, host:port[,host:port...] (default: $ATLANTIS_ZK, else 127.0.0.1:2181).")
    var zk: String?

    @Option(help: "The cluster's root znode, so that several clusters can share one ensemble.")
    var root: String = "/atlantis"

    @Option(name: .customLong("zk-auth"), help: "user:password for ZooKeeper digest authentication (default: $ATLANTIS_ZK_AUTH).")
    var zkAuth: String?

    @Option(name: .customLong("agent-auth"), help: "user:password agents authenticate as; with --zk-auth, only they (and the manager) may write status (default: $ATLANTIS_AGENT_AUTH).")
    var agentAuth: String?

    @Option(help: "Seconds to wait for ZooKeeper.")
    var timeout: Int = 10

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "warning"

    var hosts: String { zk ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK"] ?? "127.0.0.1:2181" }

    func validate() throws {
        do {
            _ = try ZNodeTree(root: root)
        } catch {
            throw ValidationError(error.description)
        }
        if let auth = zkAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK_AUTH"], !auth.contains(":") {
            throw ValidationError("--zk-auth must be user:password")
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
    }

    /// Once per process (a second bootstrap would trap): later calls keep the first level.
    func bootstrapLogging() {
        guard loggingBootstrapped.withLock({ done in defer { done = true }; return !done }) else { return }
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Connects and hands a manager to `body`; maps failures to exit codes.
    func withManager<T>(_ body: (Manager) async throws(ManagerError) -> T) async throws -> T {
        bootstrapLogging()
        let tree = try ZNodeTree(root: root)
        let credentials = (zkAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK_AUTH"]).map {
            [ZooKeeperConfiguration.Credential(scheme: "digest", secret: $0)]
        } ?? []
        let configuration = ZooKeeperConfiguration(
            connectionString: hosts, connectTimeout: .seconds(timeout), operationTimeout: .seconds(timeout),
            credentials: credentials)
        let client: ZooKeeperClient
        do {
            client = try await ZooKeeperClient.connect(configuration)
        } catch {
            throw fail(ManagerError(.unreachable, "ZooKeeper at \(hosts) is unreachable (\(error)); is it running? (--zk, $ATLANTIS_ZK)"))
        }
        do {
            let agent = agentAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_AGENT_AUTH"]
            let result = try await body(Manager(store: ClusterStore(zk: client, tree: tree, agentCredential: agent)))
            await client.close()
            return result
        } catch {
            await client.close()
            throw fail(error)
        }
    }

    /// Connects and hands the client to `body` (for commands that only read).
    func withZooKeeper<T>(_ body: (ZooKeeperClient, ZNodeTree) async throws -> T) async throws -> T {
        bootstrapLogging()
        let tree = try ZNodeTree(root: root)
        let client: ZooKeeperClient
        do {
            client = try await ZooKeeperClient.connect(
                ZooKeeperConfiguration(connectionString: hosts, connectTimeout: .seconds(timeout), operationTimeout: .seconds(timeout)))
        } catch {
            throw fail(ManagerError(.unreachable, "ZooKeeper at \(hosts) is unreachable (\(error)); is it running? (--zk, $ATLANTIS_ZK)"))
        }
        do {
            let result = try await body(client, tree)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Reads the manifests of `-f`; invalid input exits with its code.
    func loadManifests(_ paths: [String]) throws -> [LoadedDocument] {
        do {
            return try ManifestLoader().load(paths: paths)
        } catch {
            throw fail(error)
        }
    }

    func fail(_ error: ManagerError) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        return ExitCode(error.exitCode)
    }
}

func kindArgument(_ value: String) throws -> Kind {
    guard let kind = Kind(argument: value) else {
        let known = Kind.allCases.map { $0.plural }.joined(separator: ", ")
        throw ValidationError("unknown kind \"\(value)\" (known: \(known))")
    }
    return kind
}

extension DocumentFormatter.Format: ExpressibleByArgument {}
