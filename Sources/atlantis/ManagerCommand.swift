import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import LDAP
import Logging
import Manager
import ManagerService
import Metrics
import Prometheus
import Reconciler
import Secrets
import ServiceLifecycle
import ZKModel

struct ManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manager",
        abstract:
            "Run the manager: the API (/v1) through which every change to desired state is validated and written.",
        discussion: """
            Stateless beyond ZooKeeper: run several side by side, any of them answers any request. \
            GET /healthz, /metrics (Prometheus), /v1/openapi.json (the whole API).
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Where to serve the API, host:port.")
    var listen = HostPort(host: "127.0.0.1", port: 8090)

    @Option(help: "Request bodies above this many bytes are refused (413).")
    var maxBodyBytes = 1024 * 1024

    @Option(help: "Seconds within which every request is answered (504 after).")
    var requestTimeout = 30

    @Flag(help: "No access log (one line per request on stderr, at info).")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "The LDAP directory of users and teams (a JSON file: see docs/architecture.md, Who may do what). Without it, every caller may write.",
            valueName: "file"
        )
    )
    var ldapConfig: String?

    @Option(
        help: ArgumentHelp(
            "The cluster's secrets key (32 bytes, base64, mode 0600; the supervisors hold the same): seals secrets.",
            valueName: "file"
        )
    )
    var secretsKeyFile: String?

    @Option(help: "The registry uploaded sources are kept in (as blobs), host:port.")
    var sourceRegistry: String = "127.0.0.1:5000"

    @Option(
        help:
            "The region this manager serves (see `atlantis config set-region`): claimed in ZooKeeper at start, refused if the tree is another region's."
    )
    var region: String?

    @Option(help: "Uploaded sources above this many MB are refused (413).")
    var sourceLimitMb: Int = 64

    @Option(
        help:
            "Seconds without a dashboard request (and no dashboard page open) after which the manager drops its copy of what the pages show; the next request reads it again."
    )
    var dashboardIdle = 600.0

    @Option(help: "Seconds a user's teams are trusted before the directory is asked again.")
    var membershipTTL = 10.0

    @Option(help: "Failed logins allowed per user per minute (then 429).")
    var loginFailuresPerUser = 5

    @Option(help: "Logins allowed per client address per minute (then 429).")
    var loginAttemptsPerAddress = 30

    func validate() throws {
        guard dashboardIdle > 0, dashboardIdle <= 86_400 * 365 else {
            throw ValidationError("--dashboard-idle \(dashboardIdle): a number of seconds above 0 (at most a year)")
        }
        if let region, !RegionMarker.isValid(region) {
            throw ValidationError(
                "--region \(region): lowercase letters, digits and dashes, starting with a letter (at most 32)"
            )
        }
    }

    func run() async throws {
        cluster.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "atlantis.manager")
        var access = Logger(label: "atlantis.manager.access")
        if !quiet { access.logLevel = min(access.logLevel, .info) }
        let accessLog = access
        let tree = try cluster.tree
        var settings = ManagerServiceConfiguration(
            host: listen.host,
            port: listen.port,
            maxBodyBytes: maxBodyBytes,
            requestDeadline: .seconds(requestTimeout),
            metrics: { registry.emitToString() }
        )
        settings.registry = sourceRegistry
        settings.zookeeperHosts = cluster.zk ?? "127.0.0.1:2181"
        settings.maxSourceBytes = sourceLimitMb << 20
        settings.region = region
        settings.dashboardIdle = .milliseconds(Int64(dashboardIdle * 1000))
        let configuration = settings
        let agentAuth = cluster.agentAuthentication
        let directory = try ldapConfig.map { try DirectoryConfiguration.load(path: $0) }
        if directory == nil {
            logger.warning("manager.open", metadata: ["reason": "no --ldap-config: every caller may write"])
        }
        let membershipTTL = membershipTTL
        let limits = LoginLimiter.Limits(
            failuresPerUser: loginFailuresPerUser,
            attemptsPerAddress: loginAttemptsPerAddress
        )
        let secretBox = try secretsKeyFile.map { try SecretBox.load(keyFile: $0) }
        let service = ZooKeeperAgentService(configuration: try cluster.zooKeeperConfiguration()) { zk in
            let store = ClusterStore(zk: zk, tree: tree, agentCredential: agentAuth)
            let auth = directory.map {
                Authenticator(.init(directory: $0, membershipTTL: membershipTTL, limits: limits), store: store)
            }
            let routes = ManagerRoutes(
                manager: Manager(store: store, logger: logger),
                configuration: configuration,
                accessLog: accessLog,
                auth: auth,
                secretBox: secretBox
            )
            return ManagerService(routes: routes) { port in
                print("manager: serving http://\(configuration.host):\(port) for \(tree.root)")
            }
        }
        try await ServiceGroup.process([service], shutdownLimit: .seconds(10), logger: logger).run()
    }
}
