import Synchronization

/// Holds the routing table the proxy serves; a new table is swapped in atomically, and requests
/// already routed keep the pool they were given.
public final class TableSource: Sendable {
    private let box: Mutex<RoutingTable>
    private let swaps = Atomic<Int>(0)

    /// Counts replacements: a reader that cached the table at the same count still has the current one.
    public var generation: Int { swaps.load(ordering: .acquiring) }

    public init(_ table: RoutingTable = .empty) {
        box = Mutex(table)
    }

    public var current: RoutingTable { box.withLock { $0 } }

    /// The current table with its generation (consistent: both read under the lock).
    public func snapshot() -> (table: RoutingTable, generation: Int) {
        box.withLock { ($0, swaps.load(ordering: .relaxed)) }
    }

    public func replace(with table: RoutingTable) {
        // The old table is released after the lock (at 10,000 routes that takes a while).
        let old = box.withLock {
            let old = $0
            $0 = table
            swaps.add(1, ordering: .releasing)
            return old
        }
        withExtendedLifetime(old) {}
    }
}
