public struct ServiceSpec: Codable, Hashable, Sendable {
    public struct Endpoint: Codable, Hashable, Sendable {
        public var host: String
        public var port: Int
    }

    public var protocol_: String?
    public var endpoints: [Endpoint]

    enum CodingKeys: String, CodingKey {
        case protocol_ = "protocol"
        case endpoints
    }
}
