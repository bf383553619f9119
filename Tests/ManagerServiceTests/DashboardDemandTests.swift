import Dashboard
import Foundation
import ManagerClient
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// The manager's dashboard view starts with the dashboard's first request, not with the
/// manager: until then it watches no folder (no copy of the instance statuses, router reports
/// and builds in a manager nobody opens the dashboard of), and the API does not start it.
@Suite("dashboard view on demand")
struct DashboardDemandTests {
    @Test func theViewWatchesNothingUntilTheDashboardIsAskedFor() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            _ = try await rig.client.list(.app)
            try await Task.sleep(for: .milliseconds(300))
            #expect(!rig.dashboard.isDemanded, "started before the dashboard was asked for")
            #expect(!rig.dashboard.isSynced, "read its folders before the dashboard was asked for")
            #expect(rig.dashboard.snapshot.deploys.isEmpty)

            // The first page waits for the first reading: it shows the data at once.
            let page = try await Browser(url: rig.url).get("/ui")
            #expect(page.status == 200)
            #expect(page.body.contains("data-key=\"env/shop/prod/\""), "the first page lists the environments")
            #expect(rig.dashboard.isDemanded && rig.dashboard.isSynced)
        }
    }

    /// A view nobody asks for stops: it drops its caches, model and rows. The next request starts
    /// it again, and it reads what changed meanwhile.
    @Test func anIdleViewStopsAndTheNextRequestStartsItAgain() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let tree = try ZNodeTree(root: APIRig.newRoot())
        try await zk.ensurePath(tree.instanceStatus)
        _ = try await zk.create(
            tree.instanceStatus("i-1"),
            data: try Payload.encode(InstanceStatus.fake(zone: "zone-a", port: 40001))
        )
        // Idle after 2 s: long enough that a first reading slowed by a loaded machine does not
        // outlast it before the checks below.
        let hub = DashboardHub(zk: zk, tree: tree, coalesce: .milliseconds(10), idleAfter: .seconds(2))
        let running = Task { await hub.run() }
        await hub.demand()
        #expect(hub.isSynced && hub.isWatching)
        #expect(hub.snapshot.instances["i-1"] != nil)
        hub.refresh()
        #expect(!hub.store.rows(prefixes: [""]).isEmpty)

        #expect(await eventually(.seconds(10)) { !hub.isWatching }, "still watching after it went idle")
        #expect(!hub.isDemanded && !hub.isSynced)
        #expect(hub.snapshot.instances.isEmpty, "the model was kept")
        #expect(hub.store.rows(prefixes: [""]).isEmpty, "the rows were kept")

        // Written while it was stopped: read when it starts again.
        _ = try await zk.create(
            tree.instanceStatus("i-2"),
            data: try Payload.encode(InstanceStatus.fake(zone: "zone-a", port: 40002))
        )
        await hub.demand()
        #expect(hub.isSynced && hub.isWatching)
        #expect(Set(hub.snapshot.instances.keys) == ["i-1", "i-2"])
        // And it watches again: a change shows without a request.
        try await zk.delete(tree.instanceStatus("i-1"))
        #expect(await eventually { hub.snapshot.instances["i-1"] == nil }, "a change after the restart was missed")
        running.cancel()
        await running.value
        await zk.close()
    }

    /// A page stream open keeps the view, however long since the last request; once it closes,
    /// the view stops.
    @Test func anOpenPageStreamKeepsTheView() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let hub = DashboardHub(
            zk: zk,
            tree: try ZNodeTree(root: APIRig.newRoot()),
            coalesce: .milliseconds(10),
            idleAfter: .milliseconds(300)
        )
        let running = Task { await hub.run() }
        // Open before the view starts: however long its first reading takes, the view is never
        // without a stream once started.
        let stream = hub.subscribe()
        let listening = Task {
            for await _ in stream {}
        }
        await hub.demand()
        try await Task.sleep(for: .milliseconds(1200))
        #expect(hub.isWatching && hub.isDemanded, "stopped under an open stream")
        listening.cancel()
        await listening.value
        #expect(await eventually(.seconds(5)) { !hub.isWatching }, "kept after the stream closed")
        running.cancel()
        await running.value
        await zk.close()
    }

    /// A view that cannot read (here: never run, as with ZooKeeper out of reach) holds the first
    /// page for `limit`, and no page after it: each shows what there is at once.
    @Test func aViewThatCannotReadHoldsOnlyUntilTheLimit() async throws {
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let hub = DashboardHub(zk: zk, tree: try ZNodeTree(root: APIRig.newRoot()))
        let first = ContinuousClock.now
        await hub.demand(waiting: .milliseconds(400))
        #expect(ContinuousClock.now - first >= .milliseconds(400), "the first page did not wait for a reading")
        let second = ContinuousClock.now
        await hub.demand(waiting: .milliseconds(400))
        #expect(ContinuousClock.now - second < .milliseconds(300), "a later page waited again")
        #expect(hub.isDemanded && !hub.isSynced)
        await zk.close()
    }
}
