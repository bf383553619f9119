import Synchronization

/// Holds the routing table the proxy serves; a new table is swapped in atomically, and requests
/// already routed keep the pool they were given.
public final class TableSource: Sendable {
    /// A table with the generation it was swapped in at, in one object: a reader keeps one
    /// reference (one retain per request to copy) instead of the table's own several.
    public final class Held: Sendable {
        public let table: RoutingTable
        public let generation: Int

        init(_ table: RoutingTable, generation: Int) {
            self.table = table
            self.generation = generation
        }

        /// The table's route for a request (`RoutingTable.route`). Called on the held object: a
        /// call on `held.table` from outside this module copied the table (a retain and a release
        /// of each of its five references).
        public func route(host: Substring, target: Substring, header: (String) -> String?) -> RoutingTable.Route? {
            table.route(host: host, target: target, header: header)
        }

        /// Nothing held yet: no generation is -1.
        public static let none = Held(.empty, generation: -1)
    }

    private let box: Mutex<Held>
    private let swaps = Atomic<Int>(0)

    /// Counts replacements: a reader that cached the table at the same count still has the current one.
    public var generation: Int { swaps.load(ordering: .acquiring) }

    public init(_ table: RoutingTable = .empty) {
        box = Mutex(Held(table, generation: 0))
    }

    public var current: RoutingTable { box.withLock { $0.table } }

    /// The current table and its generation, held in one object (consistent: both swapped in
    /// together).
    public func held() -> Held { box.withLock { $0 } }

    public func replace(with table: RoutingTable) {
        // The old table is released after the lock (at 10,000 routes that takes a while).
        let old = box.withLock {
            let old = $0
            let generation = swaps.add(1, ordering: .releasing).newValue
            $0 = Held(table, generation: generation)
            return old
        }
        withExtendedLifetime(old) {}
    }
}
