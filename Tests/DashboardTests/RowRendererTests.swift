import Dashboard
import Foundation
import Testing
import ZKModel

@Suite("dashboard: rendering")
struct RowRendererTests {
    static func app(team: String) -> AppSpec {
        let json = #"{"team": "\#(team)", "port": 8080}"#
        return try! JSONDecoder().decode(AppSpec.self, from: Data(json.utf8))
    }

    static func model() -> ClusterModel {
        var model = ClusterModel()
        model.apps["shop"] = Self.app(team: "storefront<script>")
        model.deploys["shop-prod"] = .init(
            name: "shop-prod",
            spec: DeploySpec(app: "shop", environment: "prod", instances: 2),
            generation: 3
        )
        var a = InstanceStatus(app: "shop", environment: "prod", host: "10.0.0.1", port: 31000, healthy: true)
        a.zone = "zone-a"
        a.supervisor = "h1"
        a.session = InstanceStatus.session(77)
        a.lastError = "<img src=x onerror=alert(1)>"
        var b = a
        b.zone = "zone-b"
        b.supervisor = "h2"
        b.healthy = false
        model.instances = ["i-1": a, "i-2": b]
        model.supervisors["h1"] = .init(
            registration: SupervisorRegistration(
                id: "h1",
                zone: "zone-a",
                region: nil,
                address: "10.0.0.1",
                capacity: .init(cpu: 2, memoryMB: 1024, containers: 10),
                ports: nil
            ),
            owner: 77
        )
        return model
    }

    @Test func rowsCarryTheDataEscaped() {
        let rows = RowRenderer.rows(Self.model(), zookeeper: .connected(hosts: "127.0.0.1:2181"))
        let keys = Set(rows.map(\.key))
        #expect(keys.isSuperset(of: ["zk", "env/shop/prod/", "summary/shop/prod/", "inst/shop/prod/i-1", "sup/h1"]))
        let env = rows.first { $0.key == "env/shop/prod/" }!.html
        #expect(env.contains("storefront&lt;script&gt;"))
        #expect(!env.contains("<script>"))
        #expect(env.contains("zone-a 1/1"), "the current, healthy instance serves")
        #expect(env.contains("zone-b 0/1"), "h2 is not registered: its report is stale, and unhealthy")
        let instance = rows.first { $0.key == "inst/shop/prod/i-1" }!.html
        #expect(instance.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!instance.contains("<img"))
        let stale = rows.first { $0.key == "inst/shop/prod/i-2" }!.html
        #expect(stale.contains("<td>stale</td>"))
    }

    @Test func theBannerSaysStaleWhenZooKeeperIsLost() {
        let rows = RowRenderer.rows(Self.model(), zookeeper: .disconnected(since: "2026-12-03T14:00:00Z"))
        let banner = rows.first { $0.key == "zk" }!.html
        #expect(banner.contains("stale since 2026-12-03T14:00:00Z"))
        #expect(banner.contains("class=\"banner stale\""))
    }

    @Test func oneChangeChangesOnlyItsRows() {
        let store = RowStore()
        var model = Self.model()
        for i in 0..<500 {
            model.apps["app\(i)"] = Self.app(team: "t")
            for env in ["prod", "staging"] {
                model.deploys["app\(i)-\(env)"] = .init(
                    name: "app\(i)-\(env)",
                    spec: DeploySpec(app: "app\(i)", environment: env, instances: 1),
                    generation: 1
                )
            }
        }
        store.replace(RowRenderer.rows(model, zookeeper: .connected(hosts: "zk")), scope: { _ in true })
        let before = store.seq
        model.deploys["app7-prod"]?.spec.instances = 3
        model.deploys["app7-prod"]?.generation = 2
        store.replace(RowRenderer.rows(model, zookeeper: .connected(hosts: "zk")), scope: { _ in true })
        let changed = store.changes(after: before, prefixes: [""])?.rows.map(\.key)
        #expect(changed == ["env/app7/prod/", "summary/app7/prod/"])
    }

    @Test func htmlEscapesEverythingThatCouldOpenMarkup() {
        #expect(
            HTML.escape("<a href=\"x\" onclick='y'>&</a>")
                == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        )
        #expect(HTML.escape("bell\u{07}") == "bell\u{FFFD}")
        #expect(HTML.segment("a/b c") == "a%2Fb%20c")
    }
}
