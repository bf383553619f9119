/// The body of `POST /containers/create`: what Atlantis sets on a container.
public struct ContainerConfig: Encodable, Sendable, Hashable {
    public var image: String
    public var env: [String]
    public var labels: [String: String]
    /// The port the process listens on inside the container (tcp).
    public var containerPort: Int
    /// Where the port is published on the host.
    public var hostIP: String
    public var hostPort: Int
    public var memoryBytes: Int64?
    /// CPU limit in cores (NanoCpus = cores × 10⁹).
    public var cpus: Double?
    /// Seconds the Engine waits after SIGTERM before SIGKILL on stop.
    public var stopTimeout: Int?
    /// The network it starts in (`none`: loopback only, until attached to another).
    public var networkMode: String?
    /// Overrides of the image's `Entrypoint` and `Cmd`.
    public var entrypoint: [String]?
    public var cmd: [String]?
    /// Bind mounts, `host:container[:ro]`.
    public var binds: [String]?
    /// Extra `/etc/hosts` lines, `name:address` (an app dependency's name → its zone's internal router).
    public var extraHosts: [String]?
    /// False for a container in another's network (`container:<id>`): the port is that one's to
    /// publish, and the Engine refuses exposing or publishing it here.
    public var publishesPort = true

    public init(
        image: String,
        env: [String],
        labels: [String: String],
        containerPort: Int,
        hostIP: String,
        hostPort: Int,
        memoryBytes: Int64? = nil,
        cpus: Double? = nil,
        stopTimeout: Int? = nil,
        networkMode: String? = nil,
        entrypoint: [String]? = nil,
        cmd: [String]? = nil,
        binds: [String]? = nil
    ) {
        self.image = image
        self.env = env
        self.labels = labels
        self.containerPort = containerPort
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.stopTimeout = stopTimeout
        self.networkMode = networkMode
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.binds = binds
    }

    enum Keys: String, CodingKey {
        case Image, Env, Labels, ExposedPorts, HostConfig, StopTimeout, Entrypoint, Cmd
    }

    enum HostKeys: String, CodingKey {
        case PortBindings, Memory, NanoCpus, Init, RestartPolicy, NetworkMode, Binds, ExtraHosts
    }

    struct Binding: Encodable {
        var HostIp: String
        var HostPort: String
    }

    struct Empty: Encodable {}

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(image, forKey: .Image)
        try c.encode(env, forKey: .Env)
        try c.encode(labels, forKey: .Labels)
        let port = "\(containerPort)/tcp"
        if publishesPort { try c.encode([port: Empty()], forKey: .ExposedPorts) }
        try c.encodeIfPresent(stopTimeout, forKey: .StopTimeout)
        try c.encodeIfPresent(entrypoint, forKey: .Entrypoint)
        try c.encodeIfPresent(cmd, forKey: .Cmd)
        var host = c.nestedContainer(keyedBy: HostKeys.self, forKey: .HostConfig)
        if publishesPort {
            try host.encode([port: [Binding(HostIp: hostIP, HostPort: "\(hostPort)")]], forKey: .PortBindings)
        }
        try host.encodeIfPresent(memoryBytes, forKey: .Memory)
        try host.encodeIfPresent(cpus.map { Int64($0 * 1e9) }, forKey: .NanoCpus)
        try host.encodeIfPresent(networkMode, forKey: .NetworkMode)
        try host.encodeIfPresent(binds, forKey: .Binds)
        try host.encodeIfPresent(extraHosts, forKey: .ExtraHosts)
        // An init as PID 1 forwards SIGTERM (a shell or busybox httpd as PID 1 ignores it).
        try host.encode(true, forKey: .Init)
        // Restarts are the supervisor's decision, counted and backed off in status.
        try host.encode(["Name": "no"], forKey: .RestartPolicy)
    }
}
