/// One message of `GET /events` about a container.
public struct DockerEvent: Decodable, Sendable, Hashable {
    /// create, start, die, kill, stop, destroy, oom, ...
    public var action: String
    public var containerID: String
    /// The container's labels and, for `die`, its `exitCode`.
    public var attributes: [String: String]
    public var timeNano: Int64

    enum CodingKeys: String, CodingKey {
        case action = "Action"
        case actor = "Actor"
        case timeNano
    }
    enum ActorKeys: String, CodingKey {
        case id = "ID"
        case attributes = "Attributes"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decodeIfPresent(String.self, forKey: .action) ?? ""
        let actor = try c.nestedContainer(keyedBy: ActorKeys.self, forKey: .actor)
        containerID = try actor.decodeIfPresent(String.self, forKey: .id) ?? ""
        attributes = try actor.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        timeNano = try c.decodeIfPresent(Int64.self, forKey: .timeNano) ?? 0
    }
}
