import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ZooKeeper

/// `PathWatches`: one registration for the watches of many nodes; each fires with its node's path.
@Suite("ZooKeeper path watches", .serialized)
struct PathWatchesTests {
    /// What a handler heard, in order.
    final class Heard: Sendable {
        private let events = Mutex<[(path: String?, event: WatchEvent)]>([])
        func record(_ path: String?, _ event: WatchEvent) { events.withLock { $0.append((path, event)) } }
        var all: [(path: String?, event: WatchEvent)] { events.withLock { $0 } }
        func contains(_ path: String?, _ event: WatchEvent) -> Bool {
            all.contains { $0.path == path && $0.event == event }
        }
    }

    @Test func eachNodesWatchFiresOnceWithItsPath() async throws {
        let watcher = try await TestCluster.connect()
        let writer = try await TestCluster.connect()
        let folder = TestCluster.uniquePath("pathwatches")
        try await writer.create(folder)
        for name in ["a", "b", "c"] { try await writer.create("\(folder)/\(name)", data: Array(name.utf8)) }
        let registered = ZooKeeperClient.registeredWatches
        let heard = Heard()
        let watches = PathWatches { heard.record($0, $1) }
        // One registration for any number of nodes (≤: another test's leftover watch may fire).
        #expect(ZooKeeperClient.registeredWatches <= registered + 1)
        for name in ["a", "b", "c"] {
            #expect(try await watcher.getData("\(folder)/\(name)", watches: watches).data == Array(name.utf8))
        }
        #expect(try await watcher.exists("\(folder)/later", watches: watches) == nil)
        #expect(ZooKeeperClient.registeredWatches <= registered + 1)

        try await writer.setData("\(folder)/b", data: Array("b2".utf8))
        try await writer.create("\(folder)/later")
        try await writer.delete("\(folder)/c")
        #expect(await eventually(.seconds(10)) { heard.all.count >= 3 })
        #expect(heard.contains("\(folder)/b", .dataChanged), "\(heard.all)")
        #expect(heard.contains("\(folder)/later", .created), "\(heard.all)")
        #expect(heard.contains("\(folder)/c", .deleted), "\(heard.all)")
        // One-shot: a second change of b is not heard until b is read (and watched) again.
        try await writer.setData("\(folder)/b", data: Array("b3".utf8))
        try await writer.setData("\(folder)/a", data: Array("a2".utf8))
        #expect(await eventually(.seconds(10)) { heard.contains("\(folder)/a", .dataChanged) })
        #expect(heard.all.filter { $0.path == "\(folder)/b" }.count == 1, "\(heard.all)")

        // Cancelled: nothing more is heard, and the registration is gone.
        _ = try await watcher.getData("\(folder)/b", watches: watches)
        watches.cancel()
        #expect(ZooKeeperClient.registeredWatches <= registered)
        let before = heard.all.count
        try await writer.setData("\(folder)/b", data: Array("b4".utf8))
        // A watch of another kind on the same node shows the change has been delivered.
        let (_, _, probe) = try await watcher.getDataAndWatch("\(folder)/b")
        try await writer.setData("\(folder)/b", data: Array("b5".utf8))
        #expect(await probe.wait() == .dataChanged)
        #expect(heard.all.count == before, "\(heard.all)")
        await watcher.close()
        await writer.close()
    }

    /// Every watch of the set ends with the session: the handler hears it once, with no path,
    /// and its nodes can be watched again in the new session.
    @Test func anExpiredSessionIsHeardOnceWithoutAPath() async throws {
        let zk = try await TestCluster.connect(sessionTimeout: .seconds(4))
        let writer = try await TestCluster.connect()
        let folder = TestCluster.uniquePath("pathwatches-expiry")
        try await writer.create(folder)
        for name in ["a", "b"] { try await writer.create("\(folder)/\(name)") }
        let heard = Heard()
        let watches = PathWatches { heard.record($0, $1) }
        for name in ["a", "b"] { _ = try await zk.getData("\(folder)/\(name)", watches: watches) }
        try await zk.expireSessionForTesting()
        #expect(await eventually(.seconds(20)) { heard.contains(nil, .sessionLost) }, "\(heard.all)")
        #expect(heard.all.allSatisfy { $0.path == nil }, "no node's own event: \(heard.all)")
        // Watched again in the renewed session.
        #expect(await eventually(.seconds(20)) { (try? await zk.getData("\(folder)/a", watches: watches)) != nil })
        try await writer.setData("\(folder)/a", data: Array("x".utf8))
        #expect(await eventually(.seconds(10)) { heard.contains("\(folder)/a", .dataChanged) }, "\(heard.all)")
        watches.cancel()
        await zk.close()
        await writer.close()
    }
}
