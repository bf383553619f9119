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
}
