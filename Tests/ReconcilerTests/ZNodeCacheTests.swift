import Foundation
import Synchronization
import TestSupport
import Testing
import ZooKeeper

@testable import Reconciler

/// The watched cache against the real ZooKeeper: after things go quiet it holds exactly what the
/// server holds, whatever the order in which reads and watches came back.
@Suite("ZNodeCache over a real ZooKeeper", .serialized)
struct ZNodeCacheTests {
    /// What the cache holds that the server does not (by mzxid); empty when they agree.
    static func disagreements(_ cache: ZNodeCache, _ zk: ZooKeeperClient, folder: String) async throws -> [String] {
        var out: [String] = []
        let names = Set(try await zk.children(folder))
        for name in names.union(cache.allKeys()) {
            let server = try await zk.exists("\(folder)/\(name)")?.mzxid
            let cached = cache.snapshot(name)?.stat.mzxid
            if server != cached {
                out.append("\(name): server \(server.map(String.init) ?? "-") cache \(cached.map(String.init) ?? "-")")
            }
        }
        return out.sorted()
    }

    /// What changed since a revision: written, created and deleted keys, and nothing else.
    @Test func theKeysChangedSinceARevisionAreTheOnesWrittenCreatedOrDeleted() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("changelog")
        try await zk.ensurePath(folder)
        for i in 0..<5 { try await zk.create("\(folder)/k\(i)", data: Array("0".utf8)) }
        let cache = ZNodeCache(zk: zk, folder: folder, changeLogLength: 8)
        let unlogged = ZNodeCache(zk: zk, folder: folder)
        let running = Task { await cache.run() }
        let runningUnlogged = Task { await unlogged.run() }
        try await cache.waitUntilSynced()
        try await unlogged.waitUntilSynced()
        let start = cache.revision
        let unloggedStart = unlogged.revision
        #expect(cache.changedKeys(since: start)?.keys == [])
        try await zk.setData("\(folder)/k1", data: Array("1".utf8))
        try await zk.delete("\(folder)/k2")
        try await zk.create("\(folder)/k9", data: Array("9".utf8))
        #expect(await eventually { cache.changedKeys(since: start)?.keys == ["k1", "k2", "k9"] })
        // A cache made without a change log says only "look at every key".
        #expect(await eventually { unlogged.revision != unloggedStart })
        #expect(unlogged.changedKeys(since: unloggedStart) == nil)
        #expect(unlogged.changedKeys(since: unlogged.revision)?.keys == [])
        let now = try #require(cache.changedKeys(since: start))
        #expect(now.revision == cache.revision)
        #expect(cache.changedKeys(since: now.revision)?.keys == [])
        // A revision older than the cache remembers (8 changes here): nil (look at every key).
        for i in 10..<20 { try await zk.create("\(folder)/k\(i)", data: Array("0".utf8)) }
        #expect(await eventually { cache.count == 15 })
        #expect(cache.changedKeys(since: start) == nil)
        #expect(cache.changedKeys(since: cache.revision - 8)?.keys.count == 8)
        running.cancel()
        runningUnlogged.cancel()
        _ = await running.value
        _ = await runningUnlogged.value
        await zk.close()
    }

    /// Its first reading marks and queues every child at once; the marks' set and the queue's room
    /// are given back once all are read.
    @Test func aLargeFirstReadingLeavesNoRoomForMarksBehind() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("marks")
        try await zk.ensurePath(folder)
        let children = 3000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<10 {
                group.addTask {
                    for i in stride(from: batch, to: children, by: 10) {
                        try await zk.create("\(folder)/k\(i)", data: Array("0".utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
        let cache = ZNodeCache(zk: zk, folder: folder)
        let running = Task { await cache.run() }
        try await cache.waitUntilSynced()
        #expect(cache.count == children)
        #expect(cache.pendingCapacity < 1024, "room for \(cache.pendingCapacity) marks kept")
        #expect(cache.queueRoom < 1024, "room for \(cache.queueRoom) queued children kept")
        running.cancel()
        _ = await running.value
        await zk.close()
    }

    @Test func underConcurrentWritesEveryCachedVersionEndsEqualToTheServers() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cacheload")
        try await zk.ensurePath(folder)
        for i in 0..<16 { try await zk.create("\(folder)/k\(i)", data: Array("0".utf8)) }
        let cache = ZNodeCache(zk: zk, folder: folder, readConcurrency: 64)
        let running = Task { await cache.run() }
        try await cache.waitUntilSynced()
        let writers = [try await TestZK.connect(), try await TestZK.connect(), zk]
        await withTaskGroup(of: Void.self) { group in
            for (w, writer) in writers.enumerated() {
                group.addTask {
                    for i in 0..<400 {
                        try? await writer.setData("\(folder)/k\((i * 7 + w) % 16)", data: Array("\(w)-\(i)".utf8))
                    }
                }
            }
        }
        var last: [String] = []
        let agreed = await eventually(.seconds(10)) {
            last = try await Self.disagreements(cache, zk, folder: folder)
            return last.isEmpty
        }
        #expect(agreed, "stale entries: \(last)")
        running.cancel()
        await running.value
        for w in writers.dropLast() { await w.close() }
        await zk.close()
    }

    /// Two reads of one child in flight, the older one made to finish last: the cache keeps the
    /// newer, although no further change (and no watch) would ever correct it.
    @Test func anOlderReadFinishingLastDoesNotReplaceANewerOne() async throws {
        let zk = try await TestZK.connect()
        let writer = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cacheorder")
        try await zk.ensurePath(folder)
        try await zk.create("\(folder)/k", data: Array("0".utf8))
        let cache = ZNodeCache(zk: zk, folder: folder) { _, data in
            if data == Array("1".utf8) { try? await Task.sleep(for: .milliseconds(600)) }
        }
        let running = Task { await cache.run() }
        try await cache.waitUntilSynced()
        try await writer.setData("\(folder)/k", data: Array("1".utf8))
        try await Task.sleep(for: .milliseconds(150))  // the read of "1" is held
        try await writer.setData("\(folder)/k", data: Array("2".utf8))
        #expect(await eventually(.seconds(5)) { cache.snapshot("k")?.data == Array("2".utf8) })
        try await Task.sleep(for: .seconds(1))  // the held read of "1" has finished by now
        let cached = cache.snapshot("k").map { String(decoding: $0.data, as: UTF8.self) }
        #expect(cached == "2", "the cache went back to \(cached ?? "nothing")")
        #expect(try await Self.disagreements(cache, zk, folder: folder).isEmpty)
        running.cancel()
        await running.value
        await writer.close()
        await zk.close()
    }

    /// A cache that keeps only what `keep` returns (here the stat alone) hands every version read
    /// to it, stores no bytes, and still follows the server's versions.
    @Test func whatIsKeptOfEachVersionIsWhatKeepReturns() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cachekeep")
        try await zk.ensurePath(folder)
        for i in 0..<3 { try await zk.create("\(folder)/k\(i)", data: Array("v0".utf8)) }
        let read = Mutex<[String: [String]]>([:])
        let storedBefore = Mutex<Set<String>>([])
        let cache = ZNodeCache(
            zk: zk,
            folder: folder,
            keep: { name, node, stored in
                read.withLock { $0[name, default: []].append(String(decoding: node.data, as: UTF8.self)) }
                if stored != nil { storedBefore.withLock { $0.insert(name) } }
                return NodeSnapshot(data: [], stat: node.stat)
            }
        )
        let running = Task { await cache.run() }
        try await cache.waitUntilSynced()
        try await zk.setData("\(folder)/k1", data: Array("v1".utf8))
        #expect(await eventually { read.withLock { $0["k1"]?.last } == "v1" })
        #expect(await eventually { try await Self.disagreements(cache, zk, folder: folder).isEmpty })
        #expect(read.withLock { $0 } == ["k0": ["v0"], "k1": ["v0", "v1"], "k2": ["v0"]])
        // Each version is handed over with what is stored of its node: nothing at the first read.
        #expect(storedBefore.withLock { $0 } == ["k1"])
        #expect(cache.allKeys().allSatisfy { cache.snapshot($0)?.data == [] })
        running.cancel()
        await running.value
        await zk.close()
    }

    /// A node kept with its data version and `mzxid` alone (`Stat.versionsOnly`, held in a
    /// smaller object) reads back as exactly that, version after version; a cache that keeps
    /// every version whole keeps the whole stat.
    @Test func aStatKeptAsVersionsOnlyReadsBackAsVersionsOnly() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cacheversions")
        try await zk.ensurePath(folder)
        for i in 0..<3 { try await zk.create("\(folder)/k\(i)", data: Array("v0-\(i)".utf8)) }
        try await zk.setData("\(folder)/k2", data: Array("v1-2".utf8))
        let compact = ZNodeCache(
            zk: zk,
            folder: folder,
            keep: { _, node, _ in NodeSnapshot(data: node.data, stat: node.stat.versionsOnly) }
        )
        let whole = ZNodeCache(zk: zk, folder: folder)
        let running = [Task { await compact.run() }, Task { await whole.run() }]
        try await compact.waitUntilSynced()
        try await whole.waitUntilSynced()
        try await zk.setData("\(folder)/k1", data: Array("v1-1".utf8))
        #expect(await eventually { compact.snapshot("k1")?.data == Array("v1-1".utf8) })
        #expect(await eventually { whole.snapshot("k1")?.data == Array("v1-1".utf8) })
        for name in ["k0", "k1", "k2"] {
            let (data, stat) = try await zk.getData("\(folder)/\(name)")
            let kept = try #require(compact.snapshot(name))
            #expect(kept.data == data)
            #expect(kept.stat == stat.versionsOnly)
            #expect(kept.stat.version == stat.version && kept.stat.mzxid == stat.mzxid)
            #expect(kept.stat.isVersionsOnly)
            #expect(whole.snapshot(name) == NodeSnapshot(data: data, stat: stat))
            #expect(whole.snapshot(name)?.stat.ctime != 0)
        }
        #expect(compact.snapshot("k2")?.stat.version == 1)
        #expect(
            compact.keysByRecency().sorted { $0.key < $1.key }.map(\.recency)
                == whole.keysByRecency().sorted { $0.key < $1.key }.map(\.recency)
        )
        #expect(compact.packedCount == 0, "no packedStat: none held as bytes alone")
        for task in running { task.cancel() }
        for task in running { await task.value }
        await zk.close()
    }

    /// A reader that writes each version's stat into the bytes it keeps (`packedStat` reads it
    /// back) has those nodes held as their bytes alone; each reads back with its versions, version
    /// after version, and one whose bytes hold no stat reads back as well.
    @Test func bytesThatHoldTheirStatAreHeldAloneAndReadBackWithIt() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cachepacked")
        try await zk.ensurePath(folder)
        for i in 0..<3 { try await zk.create("\(folder)/k\(i)", data: Array("v0-\(i)".utf8)) }
        /// "P", the mzxid and the data version, then the data ("k0": the data alone).
        @Sendable func packed(_ name: String, _ node: NodeSnapshot, _: NodeSnapshot?) -> NodeSnapshot {
            guard name != "k0" else { return NodeSnapshot(data: node.data, stat: node.stat.versionsOnly) }
            let header =
                withUnsafeBytes(of: node.stat.mzxid.littleEndian, Array.init)
                + withUnsafeBytes(of: node.stat.version.littleEndian, Array.init)
            return NodeSnapshot(data: Array("P".utf8) + header + node.data, stat: node.stat.versionsOnly)
        }
        @Sendable func stat(_ bytes: [UInt8]) -> Stat? {
            guard bytes.count >= 13, bytes[0] == UInt8(ascii: "P") else { return nil }
            var stat = Stat.zero
            stat.mzxid = bytes[1..<9].reversed().reduce(0) { $0 << 8 | Int64($1) }
            stat.version = Int32(bytes[9..<13].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            return stat
        }
        let cache = ZNodeCache(zk: zk, folder: folder, keep: packed, packedStat: stat)
        let running = Task { await cache.run() }
        try await cache.waitUntilSynced()
        try await zk.setData("\(folder)/k1", data: Array("v1-1".utf8))
        try await zk.setData("\(folder)/k1", data: Array("v2-1".utf8))
        #expect(await eventually { cache.snapshot("k1")?.stat.version == 2 })
        for name in ["k0", "k1", "k2"] {
            let (data, stat) = try await zk.getData("\(folder)/\(name)")
            let kept = try #require(cache.snapshot(name))
            #expect(kept.stat == stat.versionsOnly)
            #expect(kept.data.suffix(data.count) == data[...])
        }
        #expect(cache.packedCount == 2, "k1 and k2 as bytes alone, k0 not")
        #expect(cache.keysByRecency().first { $0.key == "k1" }?.recency == (try await zk.exists("\(folder)/k1"))?.mzxid)
        running.cancel()
        await running.value
        await zk.close()
    }

    @Test func aChildDeletedAndCreatedAgainUnderTheSameNameIsNotLost() async throws {
        let zk = try await TestZK.connect()
        let writer = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cacherecreate")
        try await zk.ensurePath(folder)
        for i in 0..<8 { try await zk.create("\(folder)/k\(i)", data: Array("0".utf8)) }
        let cache = ZNodeCache(zk: zk, folder: folder)
        let running = Task { await cache.run() }
        try await cache.waitUntilSynced()
        for round in 1...60 {
            let path = "\(folder)/k\(round % 8)"
            try await writer.delete(path)
            if round % 3 == 0 { try await Task.sleep(for: .microseconds(Int64(round * 50))) }
            try await writer.create(path, data: Array("\(round)".utf8))
        }
        var last: [String] = []
        let agreed = await eventually(.seconds(10)) {
            last = try await Self.disagreements(cache, zk, folder: folder)
            return last.isEmpty
        }
        #expect(agreed, "lost or stale entries: \(last)")
        #expect(cache.count == 8)
        running.cancel()
        await running.value
        await writer.close()
        await zk.close()
    }

    /// A cache made and stopped again and again (a scheduler's leadership terms) over nodes that
    /// never change leaves no watches behind.
    /// Caches made one after another with one set of watches (`sharedWatches`): a cache that
    /// stops leaves none of the set's watches in the client (each was ~100 bytes of the C
    /// client's tables until its node changed), and the next cache arms them again, reads and
    /// follows changes through the set.
    @Test func aStoppedCacheForgetsItsWatchesAndTheNextArmsThemAgain() async throws {
        final class Current: Sendable {
            let cache = Mutex<ZNodeCache?>(nil)
        }
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("shared")
        try await zk.ensurePath(folder)
        let paths = (0..<50).map { "\(folder)/k\($0)" }
        for path in paths { try await zk.create(path, data: Array("0".utf8)) }
        let current = Current()
        let watches = PathWatches { path, _ in current.cache.withLock { $0 }?.watchFired(path) }
        let first = ZNodeCache(zk: zk, folder: folder, sharedWatches: watches)
        current.cache.withLock { $0 = first }
        let running = Task { await first.run() }
        try await first.waitUntilSynced()
        running.cancel()
        await running.value
        current.cache.withLock { $0 = nil }
        #expect(zk.forgetWatches(on: paths, in: watches) == 0, "a stopped cache left watches armed")

        let second = ZNodeCache(zk: zk, folder: folder, sharedWatches: watches)
        current.cache.withLock { $0 = second }
        let runningSecond = Task { await second.run() }
        try await second.waitUntilSynced()
        try await zk.setData("\(folder)/k1", data: Array("1".utf8))
        #expect(await eventually(.seconds(5)) { second.snapshot("k1")?.data == Array("1".utf8) })
        // Armed again on every child (k1's after its change was read), all in the set.
        #expect(await eventually(.seconds(5)) { zk.forgetWatches(on: ["\(folder)/k1"], in: watches) == 1 })
        #expect(zk.forgetWatches(on: paths, in: watches) == 49)
        runningSecond.cancel()
        await runningSecond.value
        watches.cancel()
        await zk.close()
    }

    @Test func cachesThatStopLeaveNoWatchesBehind() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("cacheterms")
        try await zk.ensurePath(folder)
        for i in 0..<50 { try await zk.create("\(folder)/k\(i)", data: Array("\(i)".utf8)) }
        let before = ZooKeeperClient.registeredWatches
        for _ in 0..<4 {
            let cache = ZNodeCache(zk: zk, folder: folder)
            let running = Task { await cache.run() }
            try await cache.waitUntilSynced()
            #expect(cache.count == 50)
            running.cancel()
            await running.value
        }
        let left = ZooKeeperClient.registeredWatches - before
        #expect(left < 50, "\(left) watches left behind by four terms over 50 unchanged nodes")
        await zk.close()
    }
}
