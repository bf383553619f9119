public import ArgumentParser
import Foundation
public import Logging
public import ZKAccess
public import ZKModel
public import ZooKeeper

/// How every command reaches the cluster: ZooKeeper's hosts, the root, the identities. The
/// manager's commands add `withManager` and friends (`CLIOptions`); an agent needs only these.
public struct ClusterOptions: ParsableArguments {
    @Option(
        name: .customLong("zk"),
        help: "ZooKeeper hosts, host:port[,host:port...] (default: $ATLANTIS_ZK, else 127.0.0.1:2181)."
    )
    public var zk: String?

    @Option(help: "The cluster's root znode, so that several clusters can share one ensemble.")
    public var root: String = "/atlantis"

    @Option(
        name: .customLong("zk-auth"),
        help: "user:password for ZooKeeper digest authentication (default: $ATLANTIS_ZK_AUTH)."
    )
    public var zkAuth: String?

    @Option(
        name: .customLong("agent-auth"),
        help:
            "user:password agents authenticate as; with --zk-auth, only they (and the manager) may write status (default: $ATLANTIS_AGENT_AUTH)."
    )
    public var agentAuth: String?

    @Option(
        name: .customLong("zk-identity-file"),
        help: ArgumentHelp(
            "This role's ZooKeeper identity (JSON, mode 0600; `atlantis dev up` makes them): the session authenticates as it, and every node is created with the cluster's ACL table (default: $ATLANTIS_ZK_IDENTITY_FILE).",
            valueName: "file"
        )
    )
    public var zkIdentityFile: String?

    @Option(help: "Seconds to wait for ZooKeeper.")
    public var timeout: Int = 10

    @Option(
        help:
            "ZooKeeper session timeout in seconds: how soon a process that died or was cut off loses its ephemeral nodes (a supervisor's registration, a scheduler's leadership). Within the server's bounds (2 to 20 ticks; 4 s with the default 2 s tick)."
    )
    public var sessionTimeout: Double = 4

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .warning

    public init() {}

    public var hosts: String { zk ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK"] ?? "127.0.0.1:2181" }

    /// `--zk-auth`, else `$ATLANTIS_ZK_AUTH`.
    public var authentication: String? { zkAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_ZK_AUTH"] }
    /// `--agent-auth`, else `$ATLANTIS_AGENT_AUTH`.
    public var agentAuthentication: String? {
        agentAuth ?? ProcessInfo.processInfo.environment["ATLANTIS_AGENT_AUTH"]
    }

    /// The one ZooKeeper identity this process authenticates with (none without credentials).
    public var credentials: [ZooKeeperConfiguration.Credential] {
        authentication.map { [ZooKeeperConfiguration.Credential(scheme: "digest", secret: $0)] } ?? []
    }

    /// Hosts, credentials and, with `timeouts`, `--timeout` for connecting and each operation.
    public func zooKeeperConfiguration(timeouts: Bool = false) throws -> ZooKeeperConfiguration {
        var configuration =
            timeouts
            ? ZooKeeperConfiguration(
                connectionString: hosts,
                connectTimeout: .seconds(timeout),
                operationTimeout: .seconds(timeout),
                credentials: credentials
            )
            : ZooKeeperConfiguration(connectionString: hosts, credentials: credentials)
        configuration.sessionTimeout = .milliseconds(Int64(sessionTimeout * 1000))
        if let identity = try identity {
            let policy = AccessPolicy(tree: try tree, identity: identity)
            configuration.credentials = [identity.credential]
            configuration.aclPolicy = { policy.acl(for: $0) }
        }
        return configuration
    }

    /// `--zk-identity-file`, else `$ATLANTIS_ZK_IDENTITY_FILE`: this role's identity.
    public var identity: ZooKeeperIdentity? {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            guard
                let path = zkIdentityFile ?? environment["ATLANTIS_ZK_IDENTITY_FILE"].flatMap({ $0.isEmpty ? nil : $0 })
            else { return nil }
            do {
                return try ZooKeeperIdentity.load(path: path)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    /// The tree under `--root` (validated by `validate()`).
    public var tree: ZNodeTree {
        get throws { try ZNodeTree(root: root) }
    }

    public func validate() throws {
        do {
            _ = try ZNodeTree(root: root)
        } catch {
            throw ValidationError(error.description)
        }
        if let auth = authentication, !auth.contains(":") {
            throw ValidationError("--zk-auth must be user:password")
        }
        if let auth = agentAuthentication, !auth.contains(":") {
            throw ValidationError("--agent-auth must be user:password")
        }
        _ = try identity
    }

    /// Logs to stderr at `--log-level` (once per process: see `LogOutput.bootstrap`).
    public func bootstrapLogging() {
        LogOutput.bootstrap(level: logLevel)
    }
}
