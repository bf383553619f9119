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
