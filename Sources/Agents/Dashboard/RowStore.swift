import Synchronization

/// Every row of every page as last rendered, each with the sequence number of its last
/// change; a removed row stays as a tombstone for a while. A stream that resumes after
/// sequence `n` is sent exactly the rows changed since (a tab misses nothing); one that asks
/// for more than is kept is told to reload.
public final class RowStore: Sendable {
    struct Entry: Sendable {
        var seq: Int
        /// nil: removed at `seq`.
        var row: DashboardRow?
    }

    struct State: Sendable {
        var entries: [String: Entry] = [:]
        var seq = 0
        /// Changes at or below this are no longer known one by one (tombstones dropped).
        var floor = 0
        var tombstones = 0
    }

    private let state = Mutex(State())
    let maxTombstones: Int

    public init(maxTombstones: Int = 20_000) {
        self.maxTombstones = maxTombstones
    }

    public var seq: Int { state.withLock { $0.seq } }

    /// Replaces the rows of the keys `scope` accepts by `rows`: changed and new ones get the
    /// next sequence number, missing ones become tombstones. Returns the new sequence number,
    /// or nil when nothing changed.
    @discardableResult
    public func replace(_ rows: [DashboardRow], scope: (String) -> Bool = { _ in true }) -> Int? {
        state.withLock { s in
            let next = s.seq + 1
            var changed = false
            var seen = Set<String>()
            for row in rows {
                seen.insert(row.key)
                if let old = s.entries[row.key], old.row == row { continue }
                if s.entries[row.key]?.row == nil && s.entries[row.key] != nil { s.tombstones -= 1 }
                s.entries[row.key] = Entry(seq: next, row: row)
                changed = true
            }
            for (key, entry) in s.entries where entry.row != nil && !seen.contains(key) && scope(key) {
                s.entries[key] = Entry(seq: next, row: nil)
                s.tombstones += 1
                changed = true
            }
            guard changed else { return nil }
            s.seq = next
            if s.tombstones > maxTombstones {
                // Drop the oldest half; a stream behind them reloads.
                let dead = s.entries.filter { $0.value.row == nil }.sorted { $0.value.seq < $1.value.seq }
                for (key, entry) in dead.prefix(dead.count / 2) {
                    s.entries.removeValue(forKey: key)
                    s.floor = max(s.floor, entry.seq)
                    s.tombstones -= 1
                }
            }
            return next
        }
    }

    /// The rows under `prefixes`, in key order (for a page).
    public func rows(prefixes: [String]) -> [DashboardRow] {
        state.withLock { s in
            s.entries.values.compactMap { entry in
                guard let row = entry.row, prefixes.contains(where: { row.key.hasPrefix($0) }) else { return nil }
                return row
            }
        }.sorted { $0.key < $1.key }
    }

    public func row(_ key: String) -> DashboardRow? { state.withLock { $0.entries[key]?.row } }

    /// Drops every row (the view stopped): a stream that resumes from before is told to reload.
    public func clear() {
        state.withLock { s in
            s.seq += 1
            s = State(entries: [:], seq: s.seq, floor: s.seq, tombstones: 0)
        }
    }

    /// What changed after `seq` under `prefixes`: rows (nil row: removed) and the sequence
    /// they bring the caller to; nil when `seq` is older than what is kept (reload).
    public func changes(after seq: Int, prefixes: [String]) -> (rows: [(key: String, row: DashboardRow?)], seq: Int)? {
        state.withLock { s in
            guard seq >= s.floor, seq <= s.seq else { return nil }
            var out: [(key: String, row: DashboardRow?)] = []
            for (key, entry) in s.entries where entry.seq > seq && prefixes.contains(where: { key.hasPrefix($0) }) {
                out.append((key, entry.row))
            }
            out.sort { $0.key < $1.key }
            return (out, s.seq)
        }
    }
}
