import Foundation
import Testing
import ZooKeeper

@Suite("ZooKeeper client against a real server")
struct ZooKeeperClientTests {
    @Test func createGetSetDeleteAndChildren() async throws {
        let zk = try await TestCluster.connect()
        let root = TestCluster.uniquePath("crud")
        try await zk.create(root)
        try await zk.create("\(root)/a", data: Array("hello".utf8))
        try await zk.create("\(root)/b")
        let (data, stat) = try await zk.getData("\(root)/a")
        #expect(String(decoding: data, as: UTF8.self) == "hello")
        #expect(stat.version == 0)
        let stat2 = try await zk.setData("\(root)/a", data: Array("world".utf8), version: 0)
        #expect(stat2.version == 1)
        #expect(try await zk.children(root) == ["a", "b"])
        try await zk.setData(root, data: [1])
        let listed = try await zk.childrenAndStat(root)
        #expect(listed?.children == ["a", "b"])
        #expect(listed?.stat.version == 1, "the node's own stat comes with its children")
        #expect(listed?.stat.numChildren == 2)
        #expect(try await zk.childrenAndStat("\(root)/missing") == nil)
        #expect(try await zk.exists("\(root)/missing") == nil)
        try await zk.delete("\(root)/a", version: 1)
        try await zk.delete("\(root)/b")
        try await zk.delete(root)
        #expect(try await zk.exists(root) == nil)
        await zk.close()
    }

    @Test func versionConflictIsATypedError() async throws {
        let zk = try await TestCluster.connect()
        let path = TestCluster.uniquePath("conflict")
        try await zk.create(path, data: [1])
        try await zk.setData(path, data: [2], version: 0)
        await #expect(throws: ZooKeeperError(code: .badVersion, path: path)) {
            try await zk.setData(path, data: [3], version: 0)
        }
        await #expect(throws: ZooKeeperError(code: .badVersion, path: path)) {
            try await zk.delete(path, version: 0)
        }
        #expect(try await zk.getData(path).data == [2])
        await #expect(throws: ZooKeeperError(code: .nodeExists, path: path)) {
            try await zk.create(path)
        }
        try await zk.delete(path)
        await zk.close()
    }

    @Test func sequentialNodesGetIncreasingSuffixes() async throws {
        let zk = try await TestCluster.connect()
        let root = TestCluster.uniquePath("seq")
        try await zk.create(root)
        let first = try await zk.create("\(root)/n-", mode: .persistentSequential)
        let second = try await zk.create("\(root)/n-", mode: .persistentSequential)
        #expect(first == "\(root)/n-0000000000")
        #expect(second == "\(root)/n-0000000001")
        await zk.close()
    }

    @Test func watchFiresAfterAnotherClientsSet() async throws {
        let watcher = try await TestCluster.connect()
        let writer = try await TestCluster.connect()
        let path = TestCluster.uniquePath("watch")
        try await writer.create(path, data: Array("v1".utf8))
        let (_, _, watch) = try await watcher.getDataAndWatch(path)
        try await writer.setData(path, data: Array("v2".utf8))
        #expect(await watch.wait() == .dataChanged)

        let (_, childWatch) = try await watcher.childrenAndWatch(path)
        try await writer.create("\(path)/child")
        #expect(await childWatch.wait() == .childrenChanged)

        let (stat, existsWatch) = try await watcher.existsAndWatch("\(path)/later")
        #expect(stat == nil)
        try await writer.create("\(path)/later")
        #expect(await existsWatch.wait() == .created)
        await watcher.close()
        await writer.close()
    }

    @Test func watchStreamsDeliverEachNewState() async throws {
        let watcher = try await TestCluster.connect()
        let writer = try await TestCluster.connect()
        let path = TestCluster.uniquePath("stream")
        var data = watcher.watchData(path).makeAsyncIterator()
        #expect(try await data.next()! == nil)  // absent at first
        try await writer.create(path, data: Array("one".utf8))
        #expect(try await data.next()??.data == Array("one".utf8))
        try await writer.setData(path, data: Array("two".utf8))
        #expect(try await data.next()??.data == Array("two".utf8))

        var children = watcher.watchChildren(path).makeAsyncIterator()
        #expect(try await children.next() == [])
        try await writer.create("\(path)/x")
        #expect(try await children.next() == ["x"])
        try await writer.delete("\(path)/x")
        #expect(try await children.next() == [])

        try await writer.delete(path)
        #expect(try await data.next()! == nil)
        await watcher.close()
        await writer.close()
    }

    @Test func ephemeralNodeVanishesWhenItsSessionCloses() async throws {
        let owner = try await TestCluster.connect()
        let observer = try await TestCluster.connect()
        let path = TestCluster.uniquePath("eph")
        try await owner.create(path, mode: .ephemeral)
        let stat = try #require(try await observer.exists(path))
        #expect(stat.ephemeralOwner == owner.sessionID)
        let (_, watch) = try await observer.existsAndWatch(path)
        await owner.close()
        #expect(await watch.wait() == .deleted)
        #expect(try await observer.exists(path) == nil)
        await observer.close()
    }

    /// Requests handed to the client from many tasks at once, then again while it closes: each
    /// one answers or fails with a `ZooKeeperError` at once (none waits out its timeout, none
    /// touches the freed handle), `close` returns, and a request after it fails.
    @Test func concurrentRequestsAndACloseEachEndCleanly() async throws {
        var configuration = TestCluster.config()
        configuration.operationTimeout = .seconds(60)
        let zk = try await ZooKeeperClient.connect(configuration)
        let path = TestCluster.uniquePath("concurrent")
        try await zk.create(path, data: Array("x".utf8))
        let before = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<500 { group.addTask { try await zk.getData(path).data } }
            return try await group.reduce(into: 0) { count, data in count += data == Array("x".utf8) ? 1 : 0 }
        }
        #expect(before == 500)
        let closing = ContinuousClock.now
        let (answered, failed) = await withTaskGroup(of: Bool?.self) { group in
            for i in 0..<2_000 {
                group.addTask {
                    do {
                        _ = try await zk.getData(path)
                        return true
                    } catch is ZooKeeperError {
                        return false
                    } catch {
                        return nil  // anything but the client's own error
                    }
                }
                if i == 1_000 {
                    group.addTask {
                        await zk.close()
                        return true
                    }
                }
            }
            var answered = 0
            var failed = 0
            for await result in group {
                switch result {
                case true?: answered += 1
                case false?: failed += 1
                case nil: break
                }
            }
            return (answered, failed)
        }
        #expect(answered + failed == 2_001, "every request answered or failed with a ZooKeeperError")
        // A request handed over as the handle closed gets no answer: the close fails it, rather
        // than leaving it to its 60 s timeout (4 runs in 10 did before).
        #expect(ContinuousClock.now - closing < .seconds(30))
        await #expect(throws: ZooKeeperError.self, "a request after the close fails") { try await zk.getData(path) }
        await zk.close()
        let cleaner = try await TestCluster.connect()
        try await cleaner.delete(path)
        await cleaner.close()
    }

    @Test func multiIsAllOrNothingAndNamesTheFailingOperation() async throws {
        let zk = try await TestCluster.connect()
        let root = TestCluster.uniquePath("multi")
        try await zk.create(root)
        try await zk.create("\(root)/existing", data: [1])

        let results = try await zk.multi([
            .create(path: "\(root)/a", data: [1]),
            .setData(path: "\(root)/existing", data: [2], version: 0),
            .check(path: root, version: 0),
        ])
        #expect(results.count == 3)
        #expect(results[0] == .created(path: "\(root)/a"))
        if case .set(let stat) = results[1] { #expect(stat.version == 1) } else { Issue.record("expected set") }

        // The third operation fails: the first two must not happen.
        await #expect(throws: ZooKeeperError(code: .badVersion, path: "\(root)/existing", failedOperationIndex: 2)) {
            try await zk.multi([
                .create(path: "\(root)/b", data: [1]),
                .delete(path: "\(root)/a", version: 0),
                .setData(path: "\(root)/existing", data: [9], version: 0),
            ])
        }
        #expect(try await zk.exists("\(root)/b") == nil)
        #expect(try await zk.exists("\(root)/a") != nil)
        #expect(try await zk.getData("\(root)/existing").data == [2])
        await zk.close()
    }

    @Test func syncThenReadSeesAnotherSessionsWrite() async throws {
        let a = try await TestCluster.connect()
        let b = try await TestCluster.connect()
        let path = TestCluster.uniquePath("sync")
        try await a.create(path, data: [7])
        try await b.sync(path)
        #expect(try await b.getData(path).data == [7])
        await a.close()
        await b.close()
    }

    @Test func aclsLetOnlyTheOwnerWrite() async throws {
        let manager = try await TestCluster.connect(credentials: ["manager:manager-secret"])
        let stranger = try await TestCluster.connect(credentials: ["agent:agent-secret"])
        let anonymous = try await TestCluster.connect()
        let path = TestCluster.uniquePath("acl")
        try await manager.create(path, data: [1], acl: ACL.creatorAllAnyoneRead)
        #expect(try await anonymous.getData(path).data == [1])
        await #expect(throws: ZooKeeperError(code: .noAuth, path: path)) {
            try await stranger.setData(path, data: [2])
        }
        await #expect(throws: ZooKeeperError(code: .noAuth, path: "\(path)/child")) {
            try await anonymous.create("\(path)/child")
        }
        try await manager.setData(path, data: [3])
        #expect(try await anonymous.getData(path).data == [3])
        try await manager.delete(path)
        for client in [manager, stranger, anonymous] { await client.close() }
    }

    @Test func unreachableServerFailsConnectWithATimeout() async throws {
        var config = TestCluster.config("127.0.0.1:1")
        config.connectTimeout = .milliseconds(500)
        await #expect(throws: ZooKeeperError(code: .operationTimeout)) {
            _ = try await ZooKeeperClient.connect(config)
        }
    }

    /// A connect that is cancelled (a process stopped while ZooKeeper is unreachable) ends at
    /// once, before and after its wait has begun, rather than at the connect timeout.
    @Test(arguments: [0, 300])
    func aCancelledConnectEndsAtOnce(cancelAfterMilliseconds: Int) async throws {
        var config = TestCluster.config("127.0.0.1:1")
        config.connectTimeout = .seconds(60)
        let started = ContinuousClock.now
        let connecting = Task { try await ZooKeeperClient.connect(config) }
        if cancelAfterMilliseconds > 0 { try await Task.sleep(for: .milliseconds(cancelAfterMilliseconds)) }
        connecting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await connecting.value }
        #expect(ContinuousClock.now - started < .seconds(20), "the connect waited for its timeout")
    }

    @Test func chrootConfinesTheClient() async throws {
        let zk = try await TestCluster.connect()
        let root = TestCluster.uniquePath("chroot")
        try await zk.create(root)
        let confined = try await TestCluster.connect(TestCluster.hosts + root)
        try await confined.create("/inside", data: [5])
        #expect(try await zk.getData("\(root)/inside").data == [5])
        await confined.close()
        await zk.close()
    }
}
