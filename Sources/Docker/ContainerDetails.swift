/// The parts of `GET /containers/{id}/json` Atlantis reads.
public struct ContainerDetails: Decodable, Sendable, Hashable {
    public struct State: Decodable, Sendable, Hashable {
        public var status: String
        public var running: Bool
        public var pid: Int
        public var exitCode: Int
        public var oomKilled: Bool
        public var error: String
        /// When it was last started: with the pid, tells one start (one network namespace) from the next.
        public var startedAt: String?

        enum CodingKeys: String, CodingKey {
            case startedAt = "StartedAt"
            case status = "Status"
            case running = "Running"
            case pid = "Pid"
            case exitCode = "ExitCode"
            case oomKilled = "OOMKilled"
            case error = "Error"
        }
    }

    public var id: String
    public var name: String
    public var state: State
    public var labels: [String: String]
    /// The container's address on the Engine's default bridge.
    public var ipAddress: String
    /// The networks it is attached to (`none` until the supervisor attaches it).
    public var networks: [String]

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case name = "Name"
        case state = "State"
        case config = "Config"
        case network = "NetworkSettings"
    }

    enum ConfigKeys: String, CodingKey { case labels = "Labels" }
    enum NetworkKeys: String, CodingKey {
        case ipAddress = "IPAddress"
        case networks = "Networks"
    }

    struct Ignored: Decodable {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        state = try c.decode(State.self, forKey: .state)
        let config = try c.nestedContainer(keyedBy: ConfigKeys.self, forKey: .config)
        labels = try config.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        let network = try? c.nestedContainer(keyedBy: NetworkKeys.self, forKey: .network)
        ipAddress = (try? network?.decodeIfPresent(String.self, forKey: .ipAddress)) ?? ""
        let attached = try? network?.decodeIfPresent([String: Ignored].self, forKey: .networks)
        networks = (attached ?? [:]).keys.sorted()
    }
}
