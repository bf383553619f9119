import Foundation
import Reconciler
import Synchronization
import TestSupport
import Testing
import ZKModel
import ZooKeeper

final class ElectionLog: Sendable {
    private let state = Mutex<(leading: [String], fences: [String: LeaderElection.Leadership])>(([], [:]))

    func record(_ id: String, _ leadership: LeaderElection.Leadership) {
        state.withLock {
            $0.leading.append(id)
            $0.fences[id] = leadership
        }
    }

    var leading: [String] { state.withLock { $0.leading } }
    func fence(_ id: String) -> LeaderElection.Leadership? { state.withLock { $0.fences[id] } }
}

func campaign(_ zk: ZooKeeperClient, _ id: String, folder: String, log: ElectionLog) -> Task<Void, any Error> {
    Task {
        try await LeaderElection(zk: zk, folder: folder, identity: id).run { leadership in
            log.record(id, leadership)
            try await leadership.multi([.create(path: "\(folder)-data/\(id)-\(UUID().uuidString.prefix(6))", data: [])])
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

final class Counts: Sendable {
    let state = Mutex<(leads: Int, cancelled: Int)>((0, 0))

    /// A leader's work: counts the term, holds it until cancelled, and counts the cancel.
    func lead() async throws {
        state.withLock { $0.leads += 1 }
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            state.withLock { $0.cancelled += 1 }
            throw error
        }
    }
}

@Suite("Leader election over a real ZooKeeper", .serialized)
struct LeaderElectionTests {
    @Test func killedLeaderIsReplacedAndCanNoLongerWrite() async throws {
        let folder = TestZK.uniqueRoot("election")
        let a = try await TestZK.connect(sessionTimeout: .seconds(4))
        let b = try await TestZK.connect(sessionTimeout: .seconds(4))
        let observer = try await TestZK.connect()
        try await observer.ensurePath(folder + "-data")
        let log = ElectionLog()
        let ta = campaign(a, "a", folder: folder, log: log)
        #expect(await eventually(.seconds(30)) { log.leading == ["a"] })
        let tb = campaign(b, "b", folder: folder, log: log)
        try await Task.sleep(for: .milliseconds(500))
        #expect(log.leading == ["a"])  // b waits behind a
        #expect(try await LeaderElection(zk: observer, folder: folder, identity: "-").currentLeader() == "a")

        // The leader's session dies (as when its process is killed): b takes over within the session timeout.
        let killedAt = ContinuousClock.now
        try await a.expireSessionForTesting()
        // (a may lead again briefly while the test's twin connection juggles its session: that is
        // correct, it still held the session; what matters is that b leads once it is gone.)
        let tookOver = await eventually(.seconds(8)) { log.leading.last == "b" }
        if !tookOver {
            let children = (try? await observer.children(folder)) ?? []
            var owners: [String] = []
            for c in children {
                owners.append(
                    String(decoding: (try? await observer.getData("\(folder)/\(c)").data) ?? [], as: UTF8.self)
                )
            }
            Issue.record("no takeover: leading \(log.leading), candidates \(children) owned by \(owners)")
        }
        #expect(ContinuousClock.now - killedAt < .seconds(8))

        // a's old fence can no longer write, even though a's client has a new session.
        let oldFence = try #require(log.fence("a"))
        await #expect(throws: ZooKeeperError.self) {
            try await oldFence.multi([.create(path: "\(folder)-data/stale", data: [])])
        }
        #expect(try await observer.exists("\(folder)-data/stale") == nil)
        ta.cancel()
        tb.cancel()
        for c in [a, b, observer] { await c.close() }
    }

    @Test func aSuspendedLeaderStopsActing() async throws {
        let port = 2193
        try TestZK.script("standalone", "elect", "\(port)")
        defer { try? TestZK.script("stop", "elect") }
        let zk = try await TestZK.connect("127.0.0.1:\(port)", sessionTimeout: .seconds(20))
        let folder = TestZK.uniqueRoot("suspend")
        let counts = Counts()
        let task = Task {
            try await LeaderElection(zk: zk, folder: folder, identity: "solo").run { _ in try await counts.lead() }
        }
        #expect(await eventually(.seconds(30)) { counts.state.withLock { $0.leads } == 1 })
        try TestZK.script("kill", "elect")
        #expect(await eventually(.seconds(10)) { counts.state.withLock { $0.cancelled } == 1 })
        try TestZK.script("start", "elect")
        // Same session after the reconnect: it leads again.
        #expect(await eventually(.seconds(20)) { counts.state.withLock { $0.leads } == 2 })
        task.cancel()
        await zk.close()
    }

    /// A create whose reply was lost leaves a candidate of this session the election does not
    /// know of: it must take it, not queue behind it for ever.
    @Test func aCandidateLeftByALostCreateReplyIsAdopted() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("orphan")
        try await zk.ensurePath(folder)
        let orphan = try await zk.create("\(folder)/c-", data: Array("solo".utf8), mode: .ephemeralSequential)
        let counts = Counts()
        let task = Task {
            try await LeaderElection(zk: zk, folder: folder, identity: "solo").run { _ in try await counts.lead() }
        }
        #expect(await eventually(.seconds(5)) { counts.state.withLock { $0.leads } == 1 })
        #expect(try await zk.children(folder) == [String(orphan.split(separator: "/").last!)], "no second candidate")
        task.cancel()
        _ = try? await task.value
        await zk.close()
    }

    /// The leader's election node deleted (by hand, or lost): the term ends at once, the old fence
    /// (status writes included) commits nothing, and the candidate campaigns again.
    @Test func aLeaderWhoseNodeIsGoneStopsLeadingAndItsStatusWritesAreFenced() async throws {
        let zk = try await TestZK.connect()
        let observer = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("fence")
        let tree = try ZNodeTree(root: folder + "-tree")
        let counts = Counts()
        let log = ElectionLog()
        let task = Task {
            try await LeaderElection(zk: zk, folder: folder, identity: "solo").run { leadership in
                log.record("solo", leadership)
                try await counts.lead()
            }
        }
        #expect(await eventually(.seconds(5)) { counts.state.withLock { $0.leads } == 1 })
        let fence = try #require(log.fence("solo"))
        let key = DocumentKey(kind: .deploy, name: "d")
        let writer = StatusWriter(zk: zk, tree: tree, reconciler: "test", fence: fence)
        try await writer.write(key, observedGeneration: 1, conditions: [.ready(reason: "R", message: "m")])
        #expect(try await observer.exists(tree.status(key)) != nil)

        try await observer.delete(fence.node)
        #expect(await eventually(.seconds(5)) { counts.state.withLock { $0.cancelled } == 1 }, "the term ended")
        await #expect(throws: ZooKeeperError.self) {
            try await writer.write(key, observedGeneration: 2, conditions: [.notReady(reason: "X", message: "m")])
        }
        let (data, _) = try await observer.getData(tree.status(key))
        #expect(String(decoding: data, as: UTF8.self).contains(#""observedGeneration":1"#))
        #expect(await eventually(.seconds(5)) { counts.state.withLock { $0.leads } == 2 }, "it campaigns again")
        task.cancel()
        _ = try? await task.value
        for c in [zk, observer] { await c.close() }
    }
}
