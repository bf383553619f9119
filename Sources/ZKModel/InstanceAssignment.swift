/// One instance placed on a host, in `<root>/assignments/<host id>/<instance id>`: everything
/// its supervisor needs to run it. Written by the scheduler; the supervisor of that host
/// converges Docker to it. A changed image, port, env or limit replaces the container.
public struct InstanceAssignment: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "InstanceAssignment"
    public var instance: String
    public var app: String
    public var environment: String
    public var release: String?
    public var image: String
    /// The port the app listens on inside its container (`ATLANTIS_PORT`).
    public var port: Int
    public var env: [String: String]?
    public var healthCheck: AppSpec.HealthCheck?
    /// Cores.
    public var cpu: Double?
    public var memoryMB: Int?
    /// Services the instance may reach; every other destination is rejected.
    public var dependsOn: [String]?
    /// Other apps' environments it calls through its zone's internal router.
    public var dependsOnApps: [AppDependency]?
    /// Keep running and health-checked, but report it as standby: routers leave it out.
    public var standby: Bool?
    /// The revision of the environment's secrets to give it (opened by the supervisor from
    /// `<root>/secrets/<app>/<environment>` just before the container is created).
    public var secrets: Int?

    public init(
        instance: String,
        app: String,
        environment: String,
        image: String,
        port: Int,
        release: String? = nil,
        env: [String: String]? = nil,
        healthCheck: AppSpec.HealthCheck? = nil,
        cpu: Double? = nil,
        memoryMB: Int? = nil,
        dependsOn: [String]? = nil,
        secrets: Int? = nil
    ) {
        self.secrets = secrets
        self.instance = instance
        self.app = app
        self.environment = environment
        self.image = image
        self.port = port
        self.release = release
        self.env = env
        self.healthCheck = healthCheck
        self.cpu = cpu
        self.memoryMB = memoryMB
        self.dependsOn = dependsOn
    }
}
