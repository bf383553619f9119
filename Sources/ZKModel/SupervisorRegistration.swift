/// A live supervisor, in `<root>/agents/supervisors/<host id>` (ephemeral): the scheduler places
/// instances on the hosts registered here, within their capacity.
public struct SupervisorRegistration: Codable, Hashable, Sendable {
    public struct Capacity: Codable, Hashable, Sendable {
        public var cpu: Double
        public var memoryMB: Int
        public var containers: Int

        public init(cpu: Double, memoryMB: Int, containers: Int) {
            self.cpu = cpu
            self.memoryMB = memoryMB
            self.containers = containers
        }
    }

    public struct PortRange: Codable, Hashable, Sendable {
        public var first: Int
        public var last: Int

        public init(first: Int, last: Int) {
            self.first = first
            self.last = last
        }
    }

    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Supervisor"
    public var id: String
    public var zone: String
    public var region: String?
    /// Where its instances' ports are published (and routers connect).
    public var address: String
    public var capacity: Capacity
    public var ports: PortRange?
    /// `host:port` of its container-log server, which the manager relays (`atlantis logs`).
    public var logs: String?

    public init(id: String, zone: String, region: String?, address: String, capacity: Capacity, ports: PortRange?) {
        self.id = id
        self.zone = zone
        self.region = region
        self.address = address
        self.capacity = capacity
        self.ports = ports
    }
}
