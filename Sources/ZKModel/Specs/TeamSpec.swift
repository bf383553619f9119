public struct TeamSpec: Codable, Hashable, Sendable {
    public var members: [String]
    public var ldapGroup: String?
}
