import AgentOptions
import ArgumentParser
import AsyncHTTPClient
import CLIOptions
import Docker
import Foundation
import Logging
import Reconciler
import Secrets
import ServiceLifecycle
import Supervisor
import ZKModel
import ZooKeeper

struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract:
            "Run the agent of one Docker host: its assigned instances as containers, with egress rules and health.",
        discussion: """
            Registers in <root>/agents/supervisors/<host-id>, converges the containers of the instances in \
            <root>/assignments/<host-id>, and reports them in <root>/status/instances. Containers outlive the \
            supervisor: a restarted one adopts them. SIGTERM stops it gracefully.
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(
        help: ArgumentHelp(
            "The cluster's secrets key (the manager's; mode 0600): opens an environment's secrets for its containers.",
            valueName: "file"
        )
    )
    var secretsKeyFile: String?

    @Option(help: "This host's id (a DNS label).")
    var hostId: String

    @Option(help: "The availability zone of this host.")
    var zone: String

    @Option(help: "The region of this host.")
    var region: String?

    @Option(help: "The address instance ports are published on (routers connect to it).")
    var address: String = "127.0.0.1"

    @Option(
        help: "Host ports for instances, FIRST-LAST (best below the kernel's ephemeral range, 32768 and up on Linux).",
        transform: PortRange.parse
    )
    var ports = PortRange(31000...31999)

    @Option(help: "Capacity: cores.")
    var cpu: Double = Double(ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Capacity: memory in MB.")
    var memoryMb: Int = Int(ProcessInfo.processInfo.physicalMemory >> 20)

    @Option(help: "Capacity: containers.")
    var containers: Int = 50

    @Option(help: "Seconds between SIGTERM and SIGKILL when an instance is stopped.")
    var stopGrace: Int = 10

    @Option(help: "The Docker Engine's socket.")
    var dockerSocket: String = "/var/run/docker.sock"

    @Option(help: "The Docker network instances are attached to once their egress rules are in place.")
    var network: String = "bridge"

    @Option(
        help: ArgumentHelp(
            "A statically linked busybox on this host (Debian's busybox-static).",
            discussion: "It holds each workload until its network is safe (docs/isolation.md)."
        )
    )
    var gateShell: String = "/bin/busybox"

    @Option(
        help: ArgumentHelp(
            "Network sandboxes kept started ahead of deploys: a new instance joins one and starts about 100 ms sooner (0: none).",
            valueName: "count"
        )
    )
    var warmSandboxes: Int = 1

    @Option(
        help: ArgumentHelp(
            "The port of this host's container-log server, on --address (the manager relays `atlantis logs` from it).",
            valueName: "port"
        )
    )
    var logsPort: Int?

    func validate() throws {
        guard warmSandboxes >= 0 && warmSandboxes <= 16 else {
            throw ValidationError("--warm-sandboxes must be between 0 (none) and 16, not \(warmSandboxes)")
        }
        guard cpu > 0 else { throw ValidationError("--cpu must be a positive number of cores, not \(cpu)") }
        guard memoryMb > 0 else { throw ValidationError("--memory-mb must be a positive number, not \(memoryMb)") }
        guard containers >= 1 else { throw ValidationError("--containers must be at least 1, not \(containers)") }
        guard stopGrace >= 0 else {
            throw ValidationError("--stop-grace must be a number of seconds, 0 or more, not \(stopGrace)")
        }
    }

    func run() async throws {
        cluster.bootstrapLogging()
        let logger = Logger(label: "atlantis.supervisor")
        let range = ports.range
        if let warning = EphemeralPorts.current()?.warning(for: range) {
            logger.warning("supervisor.ports_in_ephemeral_range", metadata: ["reason": "\(warning)"])
        }
        let tree = try cluster.tree
        var configuration = SupervisorConfiguration(
            hostID: hostId,
            zone: zone,
            region: region,
            address: address,
            capacity: .init(cpu: cpu, memoryMB: memoryMb, containers: containers),
            ports: range,
            stopGrace: stopGrace,
            network: network,
            gateShell: gateShell
        )
        configuration.logsPort = logsPort
        configuration.warmSandboxes = warmSandboxes
        configuration.secretBox = try secretsKeyFile.map { try SecretBox.load(keyFile: $0) }
        let http = DockerClient.makeHTTPClient()
        do {
            try await serve(configuration: configuration, tree: tree, http: http, logger: logger)
        } catch {
            // Shut down on every way out, or the client's deinit traps (dockerd not running, ZooKeeper unreachable).
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private func serve(
        configuration: SupervisorConfiguration,
        tree: ZNodeTree,
        http: HTTPClient,
        logger: Logger
    ) async throws {
        let docker = DockerClient(socketPath: dockerSocket, http: http)
        do {
            try await docker.ping()
        } catch {
            throw ValidationError("\(error) (is dockerd running? scripts/docker.sh up starts one)")
        }
        let hostId = hostId
        let zone = zone
        let ports = ports
        let address = address
        let service = ZooKeeperAgentService(
            configuration: try cluster.zooKeeperConfiguration(),
            makeAgent: { zk in
                print(
                    "supervisor \(hostId) (zone \(zone)): instances from \(tree.assignments(host: hostId)), ports \(ports) on \(address)"
                )
                return SupervisorAgent(zk: zk, tree: tree, configuration: configuration, docker: docker, http: http)
            }
        )
        // Reconciles in flight finish first; stopping a container may take the whole stop grace.
        let limit = Duration.seconds(Int64(stopGrace) + 60)
        try await ServiceGroup.process([service], shutdownLimit: limit, logger: logger).run()
    }
}
