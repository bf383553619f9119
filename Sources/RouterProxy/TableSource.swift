public import RouterData
import NIOConcurrencyHelpers

/// Holds the routing table the proxy serves; a new table is swapped in atomically, and requests
/// already routed keep the pool they were given.
public final class TableSource: Sendable {
    private let box: NIOLockedValueBox<RoutingTable>

    public init(_ table: RoutingTable = .empty) {
        box = NIOLockedValueBox(table)
    }

    public var current: RoutingTable { box.withLockedValue { $0 } }

    public func replace(with table: RoutingTable) {
        box.withLockedValue { $0 = table }
    }
}
