public struct ZoneSpec: Codable, Hashable, Sendable {
    public var region: String
}
