/// How a znode is created.
public struct CreateMode: Hashable, Sendable {
    public var ephemeral: Bool
    public var sequential: Bool

    public init(ephemeral: Bool = false, sequential: Bool = false) {
        self.ephemeral = ephemeral
        self.sequential = sequential
    }

    public static let persistent = CreateMode()
    public static let ephemeral = CreateMode(ephemeral: true)
    public static let persistentSequential = CreateMode(sequential: true)
    public static let ephemeralSequential = CreateMode(ephemeral: true, sequential: true)
}
