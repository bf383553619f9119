/// A node's data and stat as read at one moment.
public struct NodeSnapshot: Hashable, Sendable {
    public var data: [UInt8]
    public var stat: Stat

    public init(data: [UInt8], stat: Stat) {
        self.data = data
        self.stat = stat
    }
}
