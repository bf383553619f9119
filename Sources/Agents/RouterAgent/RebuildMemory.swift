import RouterData
import Synchronization
import ZKModel

/// What a router remembers between table builds, so that one change among 10,000 pools costs
/// what changed: each pool's digest (recomputed only when its backends change), the report last
/// written (not written again unchanged), and the table to save to disk (by a saver of its own,
/// at most once a second: at that size the file takes longer to write than the table to build).
final class RebuildMemory: Sendable {
    static let saveInterval = Duration.seconds(1)

    /// The shards whose digests differ from what `session` last wrote of them (all of them for a
    /// new session: a node of an earlier session would vanish with it).
    func changedShards(_ shards: [Int: [String: UInt64]], session: Int64) -> [Int] {
        state.withLock { s in
            if s.shardSession != session {
                s.shardSession = session
                s.shards = [:]
            }
            return shards.keys.filter { s.shards[$0] != shards[$0] }.sorted()
        }
    }

    func wroteShard(_ shard: Int, _ digests: [String: UInt64], session: Int64) {
        state.withLock { s in
            guard s.shardSession == session else { return }
            s.shards[shard] = digests
        }
    }

    private struct State {
        var shards: [Int: [String: UInt64]] = [:]
        var shardSession: Int64 = 0
        /// Each app pool's digest, with the pool it is of (a pool is immutable: the same object,
        /// the same backends).
        var digests: [String: (pool: Pool, digest: UInt64)] = [:]
        var lastReport: (session: Int64, body: [UInt8], at: ContinuousClock.Instant)?
        var pending: RoutingTable?
        var trim = false
    }

    private let state = Mutex(State())
    private let saves = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    /// The digest of each app pool of `table` (of its backends as `host:port`, in their order):
    /// computed again only for a pool that is not the one it was computed of.
    func digests(_ table: RoutingTable) -> [String: UInt64] {
        state.withLock { s in
            var out: [String: UInt64] = [:]
            var next: [String: (pool: Pool, digest: UInt64)] = [:]
            next.reserveCapacity(s.digests.count)
            for (name, pool) in table.pools where name.hasPrefix("app/") {
                let digest: UInt64
                if let old = s.digests[name], old.pool === pool {
                    digest = old.digest
                } else {
                    digest = Self.digest(pool.backends)
                }
                out[name] = digest
                next[name] = (pool, digest)
            }
            s.digests = next
            return out
        }
    }

    /// `RouterReport.digestValue` of `backends`' addresses. An app pool's backends are in the
    /// order of their `host:port` text already (both ways a table is made sort them so): then
    /// they are digested as they are, with no string made for each (at 10,000 pools the list,
    /// its sorted copy and the joined text were 30,000 short-lived blocks per full build, left as
    /// holes between the table's own).
    static func digest(_ backends: [Backend]) -> UInt64 {
        let texts = backends.lazy.map(AddressText.init)
        guard zip(texts, texts.dropFirst()).allSatisfy({ !$1.precedes($0) }) else {
            return RouterReport.digestValue(
                backends: backends.map { TableSnapshot.address(host: $0.host, port: $0.port) }
            )
        }
        var digest = RouterReport.Digest()
        for text in texts { digest.add(host: text.host, port: text.port) }
        return digest.value
    }

    /// Whether `body` should be written: it differs from what `session` last wrote, or that was
    /// 30 s ago or more (a report node removed by hand comes back).
    func reportChanged(_ body: [UInt8], session: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { s in
            guard let last = s.lastReport else { return true }
            return last.session != session || last.body != body || now - last.at >= .seconds(30)
        }
    }

    /// A report over 64 KiB (a router with thousands of pools) is written at most every 100 ms:
    /// how long until the next may be, nil if now. (At 400 KB a write per change could flood
    /// ZooKeeper's transaction log while a router loads.)
    func reportThrottle(_ body: [UInt8], now: ContinuousClock.Instant = .now) -> Duration? {
        guard body.count > 64 * 1024 else { return nil }
        return state.withLock { s in
            guard let last = s.lastReport, now - last.at < Self.largeReportInterval else { return nil }
            return Self.largeReportInterval - (now - last.at)
        }
    }

    static let largeReportInterval = Duration.milliseconds(100)

    func reported(_ body: [UInt8], session: Int64, at now: ContinuousClock.Instant = .now) {
        state.withLock { $0.lastReport = (session, body, now) }
    }

    /// The table to save to disk next (the saver takes it at most once a second).
    func toSave(_ table: RoutingTable) {
        state.withLock { $0.pending = table }
        saves.continuation.yield()
    }

    /// The table waiting to be saved, if any (taken).
    func takePending() -> RoutingTable? {
        state.withLock { s in
            defer { s.pending = nil }
            return s.pending
        }
    }

    /// Reports at or above which a table made asks for freed memory to be handed back.
    static let trimAtReports = 10_000

    /// After a table of `reports` reports was made, whole or in place: from that many on, the
    /// saver hands the memory freed by making it back to the system (`takeTrim`), at most once
    /// a save (a second). A large build leaves tens of MiB free but held by the allocator: 24 MiB
    /// at 50,000 reports, measured; changes applied in place after the last build left 5.6 MiB
    /// (a router grown under that tree: 63.6 → 58.0 MiB with a trim by hand).
    func built(reports: Int) {
        guard reports >= Self.trimAtReports else { return }
        state.withLock { $0.trim = true }
    }

    /// Whether a trim was asked for since the last call.
    func takeTrim() -> Bool {
        state.withLock { s in
            defer { s.trim = false }
            return s.trim
        }
    }

    /// A signal per table to save; ends with `finishSaving`.
    var saveRequests: AsyncStream<Void> { saves.stream }

    func finishSaving() { saves.continuation.finish() }
}
