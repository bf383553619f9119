/// One entry of `GET /containers/json`.
public struct ContainerSummary: Decodable, Sendable, Hashable {
    public struct Port: Decodable, Sendable, Hashable {
        public var ip: String?
        public var privatePort: Int
        public var publicPort: Int?

        enum CodingKeys: String, CodingKey {
            case ip = "IP"
            case privatePort = "PrivatePort"
            case publicPort = "PublicPort"
        }
    }

    public var id: String
    public var names: [String]
    public var image: String
    public var labels: [String: String]
    /// created, running, paused, restarting, removing, exited or dead.
    public var state: String
    public var status: String
    public var ports: [Port]

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case names = "Names"
        case image = "Image"
        case labels = "Labels"
        case state = "State"
        case status = "Status"
        case ports = "Ports"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        names = try c.decodeIfPresent([String].self, forKey: .names) ?? []
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? ""
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        state = try c.decodeIfPresent(String.self, forKey: .state) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        ports = try c.decodeIfPresent([Port].self, forKey: .ports) ?? []
    }

    public var isRunning: Bool { state == "running" }
}
