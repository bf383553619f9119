import Foundation
import Reconciler
import Synchronization
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// A reconciler that records the value of each znode it sees in the cache.
func cacheRecorder(_ cache: ZNodeCache, _ recorder: Recorder) -> ClosureReconciler {
    ClosureReconciler { key in
        recorder.begin(key)
        let value = cache.snapshot(key).map { Int(String(decoding: $0.data, as: UTF8.self)) ?? -1 }
        recorder.end(key, saw: value ?? -2)
        return .done
    }
}

@Suite("Controller over a real ZooKeeper", .serialized)
struct ZooKeeperControllerTests {
    static let configuration = Controller.Configuration(
        workers: 4,
        resyncEvery: .seconds(30),
        backoff: Backoff(base: .milliseconds(50), cap: .seconds(1))
    )

    @Test func aBurstOf1000WritesToOneKeyCoalescesAndEndsOnTheLastState() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("burst")
        try await zk.ensurePath(folder)
        try await zk.create("\(folder)/k", data: Array("0".utf8))
        let cache = ZNodeCache(zk: zk, folder: folder)
        let recorder = Recorder()
        let controller = Controller(
            name: "burst",
            reconciler: cacheRecorder(cache, recorder),
            sources: [cache],
            configuration: Self.configuration
        )
        let cacheTask = Task { await cache.run() }
        let run = Task { try await controller.run() }
        try await cache.waitUntilSynced()
        let writer = try await TestZK.connect()
        for i in 1...1000 { try await writer.setData("\(folder)/k", data: Array(String(i).utf8)) }
        #expect(await eventually(.seconds(30)) { recorder.seen("k") == 1000 })
        #expect(recorder.calls("k") < 1000, "\(recorder.calls("k")) reconciles for 1000 writes")
        #expect(!recorder.overlapped)
        await controller.shutDown()
        try await run.value
        cacheTask.cancel()
        await writer.close()
        await zk.close()
    }

    @Test func thousandKeysAreEachReconciled() async throws {
        let zk = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("many")
        try await zk.ensurePath(folder)
        for i in 0..<500 { try await zk.create("\(folder)/k\(i)", data: Array(String(i).utf8)) }
        let cache = ZNodeCache(zk: zk, folder: folder)
        let recorder = Recorder()
        let controller = Controller(
            name: "many",
            reconciler: cacheRecorder(cache, recorder),
            sources: [cache],
            configuration: Self.configuration
        )
        let cacheTask = Task { await cache.run() }
        let run = Task { try await controller.run() }
        // Half existed before the controller started, half arrive while it runs.
        for i in 500..<1000 { try await zk.create("\(folder)/k\(i)", data: Array(String(i).utf8)) }
        #expect(await eventually(.seconds(30)) { recorder.keysSeen == 1000 })
        func wrongKeys() -> [String] {
            var wrong: [String] = []
            for i in 0..<1000 {
                let seen = recorder.seen("k\(i)")
                if seen != i { wrong.append("k\(i)=\(seen.map(String.init) ?? "nil")") }
            }
            return wrong
        }
        #expect(await eventually(.seconds(30)) { wrongKeys().isEmpty }, "\(wrongKeys().prefix(10))")
        try await zk.delete("\(folder)/k7")
        #expect(await eventually(.seconds(30)) { recorder.seen("k7") == -2 })  // deletion reconciled too
        #expect(cache.count == 999)
        await controller.shutDown()
        try await run.value
        cacheTask.cancel()
        await zk.close()
    }

    @Test func forcedSessionExpiryConvergesWithNothingMissed() async throws {
        let zk = try await TestZK.connect(sessionTimeout: .seconds(4))
        let writer = try await TestZK.connect()
        let folder = TestZK.uniqueRoot("expiry")
        try await zk.ensurePath(folder)
        for i in 0..<20 { try await zk.create("\(folder)/k\(i)", data: Array("0".utf8)) }
        let cache = ZNodeCache(zk: zk, folder: folder)
        let recorder = Recorder()
        let controller = Controller(
            name: "expiry",
            reconciler: cacheRecorder(cache, recorder),
            sources: [cache],
            configuration: Self.configuration
        )
        let cacheTask = Task { await cache.run() }
        let run = Task { try await controller.run() }
        #expect(await eventually(.seconds(30)) { recorder.keysSeen == 20 })
        let callsBefore = recorder.totalCalls

        try await zk.expireSessionForTesting()
        // Changes made while the session is gone.
        for i in 0..<20 { try await writer.setData("\(folder)/k\(i)", data: Array("1".utf8)) }
        try await writer.create("\(folder)/new", data: Array("5".utf8))

        #expect(
            await eventually(.seconds(30)) {
                (0..<20).allSatisfy { recorder.seen("k\($0)") == 1 } && recorder.seen("new") == 5
            }
        )
        // After the renewal every key was reconciled again.
        #expect(recorder.totalCalls >= callsBefore + 21)
        await controller.shutDown()
        try await run.value
        cacheTask.cancel()
        await writer.close()
        await zk.close()
    }

    @Test func zooKeeperRestartedMidStreamConverges() async throws {
        let port = 2192
        try TestZK.script("standalone", "recon", "\(port)")
        defer { try? TestZK.script("stop", "recon") }
        let hosts = "127.0.0.1:\(port)"
        let zk = try await TestZK.connect(hosts, sessionTimeout: .seconds(20))
        let folder = TestZK.uniqueRoot("restart")
        try await zk.ensurePath(folder)
        for i in 0..<50 { try await zk.create("\(folder)/k\(i)", data: Array("0".utf8)) }
        let cache = ZNodeCache(zk: zk, folder: folder)
        let recorder = Recorder()
        let controller = Controller(
            name: "restart",
            reconciler: cacheRecorder(cache, recorder),
            sources: [cache],
            configuration: Self.configuration
        )
        let cacheTask = Task { await cache.run() }
        let run = Task { try await controller.run() }
        let writer = try await TestZK.connect(hosts, sessionTimeout: .seconds(20))
        for i in 0..<25 { try await writer.setData("\(folder)/k\(i)", data: Array("1".utf8)) }
        #expect(await eventually(.seconds(30)) { (0..<25).allSatisfy { recorder.seen("k\($0)") == 1 } })
        let callsBefore = recorder.totalCalls
        try TestZK.script("kill", "recon")
        try await Task.sleep(for: .milliseconds(500))
        try TestZK.script("start", "recon")
        for i in 25..<50 {
            try await retrying { try await writer.setData("\(folder)/k\(i)", data: Array("2".utf8)) }
        }
        #expect(
            await eventually(.seconds(30)) {
                (0..<25).allSatisfy { recorder.seen("k\($0)") == 1 }
                    && (25..<50).allSatisfy { recorder.seen("k\($0)") == 2 }
            }
        )
        // After the reconnect every key was reconciled again, changed or not.
        #expect(recorder.totalCalls >= callsBefore + 50)
        await controller.shutDown()
        try await run.value
        cacheTask.cancel()
        await writer.close()
        await zk.close()
    }
}

func retrying(_ body: () async throws -> Void) async throws {
    for attempt in 1...100 {
        do {
            try await body()
            return
        } catch let error as ZooKeeperError where error.isTransient && attempt < 100 {
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
