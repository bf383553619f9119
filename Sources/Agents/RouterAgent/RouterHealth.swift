public import RouterData
import Synchronization

/// What a router's /health reports: whether ZooKeeper is connected, where its table came from.
public final class RouterHealth: Sendable {
    public enum TableOrigin: String, Sendable {
        case none, disk, zookeeper
    }

    private let state = Mutex<(zookeeper: Bool, origin: TableOrigin)>((false, .none))

    public init() {}

    public func set(zookeeper: Bool) { state.withLock { $0.zookeeper = zookeeper } }
    public func set(origin: TableOrigin) { state.withLock { $0.origin = origin } }

    public func json(table: RoutingTable) -> String {
        let (zk, origin) = state.withLock { ($0.zookeeper, $0.origin) }
        let status = zk ? "ok" : "degraded"
        return
            #"{"status":"\#(status)","zookeeper":"\#(zk ? "connected" : "unreachable")","tableFrom":"\#(origin.rawValue)","tableVersion":"\#(table.version)","routes":\#(table.ruleCount)}"#
    }
}
