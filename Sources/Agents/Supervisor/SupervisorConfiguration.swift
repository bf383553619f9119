public import Reconciler
public import Secrets
public import ZKModel

/// What one supervisor is: the host it runs on, where it publishes ports, what it can hold.
public struct SupervisorConfiguration: Sendable {
    public var hostID: String
    public var zone: String
    public var region: String?
    /// The address instances' ports are published on; routers connect to it.
    public var address: String
    public var capacity: SupervisorRegistration.Capacity
    /// The cluster's secrets key (the manager's `--secrets-key-file`): opens an environment's
    /// secrets just before its container is created. Without it, an instance with secrets fails.
    public var secretBox: SecretBox?
    /// Host ports handed out to instances; best kept below the kernel's ephemeral range (`EphemeralPorts`).
    public var ports: ClosedRange<Int>
    /// Seconds between SIGTERM and SIGKILL when an instance is stopped.
    public var stopGrace: Int
    public var workers: Int
    /// Health check period when the assignment names none.
    public var healthInterval: Duration
    /// Delay before restarting an instance that keeps exiting: base·2^(crashes-1), capped.
    /// The first replacement is immediate.
    public var restartBackoff: Backoff
    /// Consecutive failed probes before a healthy instance is reported unhealthy.
    public var unhealthyThreshold: Int
    /// How long an unassigned instance is reported unhealthy (so routers stop sending it
    /// requests) before it is stopped.
    public var drainDelay: Duration
    /// The Docker network an instance is attached to once its egress rules are in place (it
    /// starts in `none`: loopback only).
    public var network: String
    /// The program that enters a container's network namespace to apply its rules.
    public var nsenter: String
    /// A statically linked busybox on the host, bind-mounted into each container to hold its
    /// workload until the network is safe (`StartGate`); without it workloads start at once, with
    /// loopback only until their rules are in.
    public var gateShell: String
    /// Where the gates live on the host (one folder per container).
    public var gateDirectory: String
    /// The port of its container-log server, on `address`; nil: it serves no logs.
    public var logsPort: Int?
    /// Network sandboxes kept started ahead of deploys (`SandboxPool`): a new instance joins one
    /// (its network, address and published port made beforehand) and gets its egress rules before
    /// its workload starts, about 100 ms less per start than making its network then. 0: none.
    public var warmSandboxes = 0
    /// The image of the sandboxes: the gate's static busybox, built on the host when missing.
    public var sandboxImage = "atlantis/sandbox:1"

    public init(
        hostID: String,
        zone: String,
        region: String? = nil,
        address: String = "127.0.0.1",
        capacity: SupervisorRegistration.Capacity = .init(cpu: 2, memoryMB: 4096, containers: 50),
        ports: ClosedRange<Int> = 31000...31999,
        stopGrace: Int = 10,
        workers: Int = 4,
        healthInterval: Duration = .seconds(5),
        restartBackoff: Backoff = Backoff(base: .milliseconds(500), cap: .seconds(30)),
        unhealthyThreshold: Int = 2,
        drainDelay: Duration = .seconds(1),
        network: String = "bridge",
        nsenter: String = "nsenter",
        gateShell: String = "/bin/busybox",
        gateDirectory: String = "/run/atlantis/gates"
    ) {
        self.hostID = hostID
        self.zone = zone
        self.region = region
        self.address = address
        self.capacity = capacity
        self.ports = ports
        self.stopGrace = stopGrace
        self.workers = workers
        self.healthInterval = healthInterval
        self.restartBackoff = restartBackoff
        self.unhealthyThreshold = unhealthyThreshold
        self.drainDelay = drainDelay
        self.network = network
        self.nsenter = nsenter
        self.gateShell = gateShell
        self.gateDirectory = gateDirectory
    }

    public var registration: SupervisorRegistration {
        var registration = SupervisorRegistration(
            id: hostID,
            zone: zone,
            region: region,
            address: address,
            capacity: capacity,
            ports: .init(first: ports.lowerBound, last: ports.upperBound)
        )
        registration.logs = logsPort.map { "\(address):\($0)" }
        return registration
    }
}
