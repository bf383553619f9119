import Foundation
import Spawn
import Synchronization
import TestSupport
import Testing

@testable import ZooKeeper

@Suite("ZooKeeper session faults", .serialized)
struct SessionFaultTests {
    @Test func expiredSessionIsRenewedAndUsersAreTold() async throws {
        let zk = try await TestCluster.connect(sessionTimeout: .seconds(4))
        let other = try await TestCluster.connect()
        let path = TestCluster.uniquePath("expiry")
        try await zk.create(path, data: Array("before".utf8))
        try await zk.create("\(path)-eph", mode: .ephemeral)
        let firstSession = zk.sessionID
        var events = zk.sessionEvents().makeAsyncIterator()
        var stream = zk.watchData(path).makeAsyncIterator()
        #expect(try await stream.next()??.data == Array("before".utf8))
        let oneShot = try await zk.getDataAndWatch(path).watch

        try await zk.expireSessionForTesting()
        // Write while the session is gone: the stream must still deliver it afterwards.
        try await other.setData(path, data: Array("during".utf8))

        var sawExpired = false
        var newSession: Int64 = 0
        while let event = await events.next() {
            if event == .expired { sawExpired = true }
            if case .connected(let id) = event, sawExpired {
                newSession = id
                break
            }
        }
        #expect(sawExpired)
        #expect(newSession != 0 && newSession != firstSession)
        // The watch ends: with the session, or (when the write raced the expiry) with the change.
        let ended = await oneShot.wait()
        #expect(ended == .sessionLost || ended == .dataChanged)
        #expect(try await stream.next()??.data == Array("during".utf8))
        #expect(try await other.exists("\(path)-eph") == nil)
        // The renewed session works.
        try await zk.setData(path, data: Array("after".utf8))
        #expect(try await stream.next()??.data == Array("after".utf8))
        await zk.close()
        await other.close()
    }

    @Test func serverKilledAndRestartedClientRecovers() async throws {
        let port = 2191
        try TestCluster.zk("standalone", "restart", "\(port)")
        defer { _ = try? TestCluster.zk("stop", "restart") }
        let zk = try await TestCluster.connect("127.0.0.1:\(port)", sessionTimeout: .seconds(20))
        let path = TestCluster.uniquePath("restart")
        try await zk.create(path, data: [1])
        var events = zk.sessionEvents().makeAsyncIterator()
        let watch = try await zk.getDataAndWatch(path).watch
        let session = zk.sessionID

        try TestCluster.zk("kill", "restart")
        #expect(await events.next() == .suspended)
        try TestCluster.zk("start", "restart")
        #expect(await events.next() == .connected(sessionID: session))  // same session: watches survive

        let writer = try await TestCluster.connect("127.0.0.1:\(port)")
        try await writer.setData(path, data: [2])
        #expect(await watch.wait() == .dataChanged)
        #expect(try await zk.getData(path).data == [2])
        await writer.close()
        await zk.close()
    }

    /// `.connected` after a renewal is announced only once requests can go through the new
    /// handle: a request made the moment it is heard succeeds.
    @Test func aRequestMadeTheMomentARenewedSessionIsAnnouncedSucceeds() async throws {
        let zk = try await TestCluster.connect(sessionTimeout: .seconds(4))
        // Widen the window between the new session's handle being made and being stored.
        ZooKeeperClient.handleStoreDelayForTesting.store(200_000, ordering: .relaxed)
        defer { ZooKeeperClient.handleStoreDelayForTesting.store(0, ordering: .relaxed) }
        let outcomes = Mutex<[String]>([])
        let events = zk.sessionEvents()
        let first = zk.sessionID
        let watcher = Task {
            var seen: Set<Int64> = [first]
            for await event in events {
                // Only the first announcement of each new session (the test's twin connection
                // also makes the old one reconnect for a moment).
                guard case .connected(let id) = event, seen.insert(id).inserted else { continue }
                do {
                    _ = try await zk.exists("/")
                    outcomes.withLock { $0.append("ok") }
                } catch {
                    outcomes.withLock { $0.append("\(error)") }
                }
            }
        }
        for _ in 0..<5 {
            try await zk.expireSessionForTesting()
            try await zk.waitConnected(timeout: .seconds(10))
            try await Task.sleep(for: .milliseconds(300))  // the request is answered before the next twin
        }
        #expect(await eventually { outcomes.withLock { $0.count } >= 5 })
        let seen = outcomes.withLock { $0 }
        #expect(seen.allSatisfy { $0 == "ok" }, "\(seen)")
        await zk.close()
        await watcher.value
    }

    /// A server that stops answering (SIGSTOP), a request in flight, then `close()`: the request
    /// fails at once with `closing`, not after the request timeout.
    @Test func closeFailsRequestsInFlightAtOnce() async throws {
        let port = 2196
        try TestCluster.zk("standalone", "closezk", "\(port)")
        defer { _ = try? TestCluster.zk("stop", "closezk") }
        let pid = Spawn.read(TestCluster.repoRoot.appendingPathComponent("run/zk-closezk/1/pid").path)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let zk = try await TestCluster.connect("127.0.0.1:\(port)", sessionTimeout: .seconds(20))
        #expect(Spawn.run(["kill", "-STOP", pid]).status == 0)
        defer { _ = Spawn.run(["kill", "-CONT", pid]) }
        let started = ContinuousClock.now
        let pending = Task { () -> ZooKeeperError.Code? in
            do {
                _ = try await zk.getData("/")
                return nil
            } catch let error as ZooKeeperError {
                return error.code
            } catch {
                return .system
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        await zk.close()
        let code = await pending.value
        let waited = ContinuousClock.now - started
        #expect(code != nil, "the request cannot have succeeded")
        #expect(waited < .seconds(5), "waited \(waited) (operation timeout 10 s): \(String(describing: code))")
    }

    @Test func ensembleLosingOneNodeGoesOn() async throws {
        let port = 2281
        try TestCluster.zk("ensemble", "ens", "\(port)")
        defer { _ = try? TestCluster.zk("stop", "ens") }
        let hosts = (0..<3).map { "127.0.0.1:\(port + $0)" }.joined(separator: ",")
        let zk = try await TestCluster.connect(hosts, sessionTimeout: .seconds(10))
        let path = TestCluster.uniquePath("ensemble")
        try await eventually { try await zk.create(path, data: [0]) }
        for node in 1...3 {
            try TestCluster.zk("kill", "ens", "\(node)")
            // Two of three still form a quorum: writes go on (after a reconnect, if ours died).
            let stat = try await eventually {
                try await zk.setData(path, data: [UInt8(node)])
            }
            #expect(stat.version >= Int32(node))
            #expect(try await zk.getData(path).data == [UInt8(node)])
            try TestCluster.zk("start", "ens", "\(node)")
        }
        await zk.close()
    }
}
