import Foundation
import Manager
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// 500 apps × 2 environments: the apps page lists all 1,000, and one change sends one small
/// event (its time is measured by bench/dashboard.sh, not asserted here).
@Suite("dashboard at scale", .serialized)
struct DashboardScaleTests {
    /// Teams, apps and Deploys as YAML, `count` apps from `first`.
    static func manifest(first: Int, count: Int) -> String {
        (first..<(first + count)).map { i in
            """
            apiVersion: atlantis/v1
            kind: App
            metadata: {name: app\(i)}
            spec: {team: scale, port: 8080}
            ---
            apiVersion: atlantis/v1
            kind: Deploy
            metadata: {name: app\(i)-prod}
            spec: {app: app\(i), environment: prod, image: "127.0.0.1:5000/app:\(i)", instances: 2}
            ---
            apiVersion: atlantis/v1
            kind: Deploy
            metadata: {name: app\(i)-staging}
            spec: {app: app\(i), environment: staging, image: "127.0.0.1:5000/app:\(i)", instances: 1}
            """
        }.joined(separator: "\n---\n")
    }

    /// Applies 500 apps and their 1,000 Deploys in transactions of 50 apps.
    static func seed(_ zk: ZooKeeperClient, _ tree: ZNodeTree, apps: Int = 500) async throws {
        let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        let team = """
            apiVersion: atlantis/v1
            kind: Team
            metadata: {name: scale}
            spec: {members: [ann]}
            """
        try await manager.apply(try ManifestLoader().parse(team, file: "team.yaml"), options: .init())
        for first in stride(from: 0, to: apps, by: 50) {
            let documents = try ManifestLoader().parse(manifest(first: first, count: 50), file: "apps-\(first).yaml")
            try await manager.apply(documents, options: .init())
        }
    }

    @Test func theAppsPageListsAThousandEnvironmentsAndOneChangeSendsOneSmallEvent() async throws {
        try await APIRig.run { rig in
            try await Self.seed(rig.zk, rig.tree)
            let browser = Browser(url: rig.url)
            let listed = await eventually(.seconds(60)) {
                try await browser.get("/ui").body.components(separatedBy: "<tr data-key=\"env/").count - 1 == 1000
            }
            #expect(listed, "every app × environment has its row")
            let page = try await browser.get("/ui")
            let after = try #require(page.after)

            let manager = Manager(store: ClusterStore(zk: rig.zk, tree: rig.tree))
            let (events, _) = try await DashboardHTTPTests.whileStreaming(browser, watch: "env/", after: after) {
                _ = try await manager.changeDeploy(app: "app123", environment: "prod", action: "scale") { spec in
                    var spec = spec!
                    spec.instances = 5
                    return spec
                }
            } until: { events in
                events.contains { $0.data.contains("env/app123/prod/") }
            }
            // Let anything that would follow come (a second event would be a failure).
            try await Task.sleep(for: .milliseconds(500))
            let rows = events.filter { $0.name == "rows" }
            #expect(rows.count == 1, "one event: \(rows.map(\.data))")
            let event = try #require(rows.first)
            #expect(event.data.contains("\"key\":\"env/app123/prod/\""))
            #expect(!event.data.contains("env/app124"), "only the changed row")
            #expect(event.data.utf8.count < 2048, "small: \(event.data.utf8.count) bytes")
        }
    }
}
