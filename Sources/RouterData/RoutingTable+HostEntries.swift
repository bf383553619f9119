extension RoutingTable {
    /// The host entries holding a rule of one pool: nearly always one, held inline, and a set only
    /// for a pool that several hosts lead to (a set for each pool was ~110 bytes more: 1.1 MB at
    /// 10,000 pools).
    enum HostEntries: Sendable, Sequence {
        case one(HostEntry)
        case many(Set<HostEntry>)

        func makeIterator() -> Set<HostEntry>.Iterator {
            switch self {
            case .one(let entry): Set([entry]).makeIterator()
            case .many(let entries): entries.makeIterator()
            }
        }

        /// `entries` with `entry` added (nil: none yet). Pass them moved out of their dictionary
        /// (`removeValue`), so that a set is changed in place, not copied.
        static func adding(_ entry: HostEntry, to entries: HostEntries?) -> HostEntries {
            switch entries {
            case nil: return .one(entry)
            case .one(let first): return first == entry ? .one(first) : .many([first, entry])
            case .many(var all):
                all.insert(entry)
                return .many(all)
            }
        }

        /// `entries` without `entry`; nil when none is left.
        static func removing(_ entry: HostEntry, from entries: HostEntries?) -> HostEntries? {
            switch entries {
            case nil: return nil
            case .one(let only): return only == entry ? nil : .one(only)
            case .many(var all):
                all.remove(entry)
                if all.count == 1, let last = all.first { return .one(last) }
                return all.isEmpty ? nil : .many(all)
            }
        }
    }
}
