import Foundation
import Manager
import Testing
import ZKModel
import ZooKeeper

@Suite("the rollout watcher reads instance reports")
struct RolloutWatcherReportsTests {
    /// More reports than are read at once, one that does not decode: each app's own, in id order.
    @Test func everyReportOfAnAppInIdOrderAndNoneThatDoesNotRead() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        try await h.zk.ensurePath(h.tree.instanceStatus)
        var expected: [String: [String]] = [:]
        for i in 0..<150 {
            let app = i % 3 == 0 ? "a" : "b"
            let id = String(format: "i%03d", i)
            let status = InstanceStatus(
                app: app,
                environment: "prod",
                host: "10.0.0.1",
                port: 30_000 + i,
                healthy: true
            )
            try await h.zk.create(h.tree.instanceStatus(id), data: try Payload.encode(status))
            expected[app, default: []].append(id)
        }
        try await h.zk.create(h.tree.instanceStatus("i000x"), data: Array("{not json".utf8))
        let watcher = RolloutWatcher(zk: h.zk, tree: h.tree)
        let a = try await watcher.reports(app: "a", environment: "prod")
        #expect(a.map(\.id) == expected["a"])
        #expect(a.map(\.status.port) == expected["a"]?.map { 30_000 + Int($0.dropFirst())! })
        #expect(try await watcher.reports().count == 150, "the report that does not decode is left out")
        #expect(a.allSatisfy { !$0.confirmed }, "no supervisor registered: none confirmed")
    }

    /// A rollout is not done while an instance of an older release is still served, though the
    /// scheduler already counts the rollout complete (the old instance's supervisor has not yet
    /// reported it standby or gone): the routers' digest must be the new release's alone.
    @Test func routersServingAnOlderReleaseAreBehind() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        try await h.manager.apply(try h.load(yaml: ReleaseTests.documents(image: "web:1")), options: .init())
        try await h.zk.ensurePath(h.tree.supervisors)
        try await h.zk.create(h.tree.supervisor("h1"), data: [], mode: .ephemeral)
        try await h.zk.ensurePath(h.tree.instanceStatus)
        for (id, port, release) in [("old", 30_001, 1), ("new", 30_002, 2)] {
            var status = InstanceStatus(app: "web", environment: "prod", host: "10.0.0.1", port: port, healthy: true)
            status.supervisor = "h1"
            status.session = InstanceStatus.session(h.zk.sessionID)
            status.release = Release.name(release)
            try await h.zk.create(h.tree.instanceStatus(id), data: try Payload.encode(status))
        }
        let pool = RouterReport.poolName(app: "web", environment: "prod")
        func route(_ backends: [String]) async throws {
            let report = RouterReport(
                address: "127.0.0.1:8080",
                tableVersion: "1",
                pools: [pool: RouterReport.digest(backends: backends)]
            )
            try await h.zk.ensurePath(h.tree.routers)
            let path = h.tree.router("r1")
            if try await h.zk.exists(path) == nil {
                try await h.zk.create(path, data: try Payload.encode(report))
            } else {
                _ = try await h.zk.setData(path, data: try Payload.encode(report))
            }
        }
        let watcher = RolloutWatcher(zk: h.zk, tree: h.tree)
        #expect(try await watcher.instances(app: "web", environment: "prod", current: true).count == 2)
        // The router still sends to both releases' instances.
        try await route(["10.0.0.1:30001", "10.0.0.1:30002"])
        #expect(try await watcher.routersBehind(deploy: "web-prod", release: 2) == ["r1"])
        #expect(try await watcher.routersBehind(deploy: "web-prod") == [], "without a release: every serving instance")
        // Only the new release's.
        try await route(["10.0.0.1:30002"])
        #expect(try await watcher.routersBehind(deploy: "web-prod", release: 2) == [])
        #expect(try await watcher.routersBehind(deploy: "web-prod", release: 1) == ["r1"])
    }
}
