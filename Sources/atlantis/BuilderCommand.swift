import AgentOptions
import ArgumentParser
import AsyncHTTPClient
import Builder
import CLIOptions
import Docker
import Foundation
import Logging
import Reconciler
import ServiceLifecycle
import Synchronization
import ZKModel
import ZooKeeper

struct BuilderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder",
        abstract: "Run the builder: turns each build the manager writes into an image in the registry.",
        discussion: """
            Watches <root>/builds; for each build fetches the source (an uploaded archive from the registry, or a \
            git ref resolved to a commit), renders its template, builds through the Docker Engine API, pushes, \
            and records the manifest digest in <root>/status/builds/<id>. One app's builds run one at a time, \
            different apps' in parallel (--workers). Logs are kept under --store and served on --log-port for \
            the manager to relay. Run it in one region only.
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "This builder's id (a DNS label; default: the host name).")
    var id: String?

    @Option(help: "The registry images are pushed to and uploaded sources are read from.")
    var registry: String = "127.0.0.1:5000"

    @Option(help: "Builds at once (of different apps).")
    var workers: Int = 2

    @Option(help: "Where build logs and git caches are kept.")
    var store: String = "/var/lib/atlantis/builder"

    @Option(help: "The address the log endpoint listens on (the manager relays from it).")
    var logHost: String = "127.0.0.1"

    @Option(help: "The log endpoint's port (0: any free port).")
    var logPort: Int = 8095

    @Option(help: "The most a source may unpack to, in MB.")
    var sourceLimitMb: Int = 64

    @Option(help: "Minutes a push is retried while the registry is down before the build fails.")
    var pushDeadlineMinutes: Int = 10

    @Option(help: "Days a build's log is kept.")
    var logRetentionDays: Int = 14

    @Option(help: "The Docker Engine's socket.")
    var dockerSocket: String = "/var/run/docker.sock"

    func run() async throws {
        cluster.bootstrapLogging()
        let logger = Logger(label: "atlantis.builder")
        let tree = try cluster.tree
        let builderID = id ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "builder"
        let logs = try BuildLogStore(
            folder: "\(store)/logs",
            limits: .init(retention: .seconds(Int64(logRetentionDays) * 86400))
        )
        let zooKeeper = try cluster.zooKeeperConfiguration()
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(socketPath: dockerSocket, http: http)
        do {
            try await docker.ping()
        } catch {
            try? await http.shutdown()
            throw ValidationError("\(error) (is dockerd running? scripts/docker.sh up starts one)")
        }
        let bound = BoundPort()
        let server = BuildLogServer(logs: logs, host: logHost, port: logPort, logger: logger) { port in
            await bound.set(port)
        }
        let registry = registry
        let workers = workers
        let store = store
        let logHost = logHost
        let limits = TarReader.Limits(maxBytes: sourceLimitMb << 20)
        let pushDeadline = Duration.seconds(Int64(pushDeadlineMinutes) * 60)
        let agent = ZooKeeperAgentService(configuration: zooKeeper) { zk in
            let configuration = BuilderConfiguration(
                builderID: builderID,
                registry: registry,
                workers: workers,
                store: store,
                sourceLimits: limits,
                pushDeadline: pushDeadline,
                logURL: "http://\(logHost):\(bound.port)"
            )
            print(
                "builder \(builderID): builds from \(tree.builds), pushing to \(registry), logs on \(configuration.logURL)"
            )
            return BuilderAgent(zk: zk, tree: tree, configuration: configuration, docker: docker, logs: logs)
        }
        do {
            try await ServiceGroup.process([server, AfterBound(bound: bound, then: agent)], logger: logger).run()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}

/// The log endpoint's port once it is listening.
final class BoundPort: Sendable {
    private let latch = SyncLatch()
    private let value = Mutex(0)
    var port: Int { value.withLock { $0 } }
    func set(_ port: Int) async {
        value.withLock { $0 = port }
        latch.open()
    }
    func wait() async throws { try await latch.wait() }
}

/// Starts `then` once the log endpoint listens (its registration names the port).
struct AfterBound: Service {
    let bound: BoundPort
    let then: any Service

    func run() async throws {
        try await bound.wait()
        try await then.run()
    }
}
