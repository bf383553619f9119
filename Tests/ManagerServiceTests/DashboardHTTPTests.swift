import Foundation
import ManagerAPI
import ManagerClient
import NIOHTTP1
import Spawn
import Synchronization
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// `/ui` over HTTP against a real slapd and ZooKeeper: sessions, pages, the roll back form and
/// its checks, and the live stream.
@Suite("dashboard", .serialized)
struct DashboardHTTPTests {
    @Test func pagesNeedASessionAndShowTheData() async throws {
        try await AuthRig.run { auth in
            _ = try await auth.seed()
            let anonymous = Browser(url: auth.rig.url)
            let redirected = try await anonymous.get("/ui/apps/shop/prod")
            #expect(redirected.status == 303)
            #expect(redirected.headers["Location"].first?.hasPrefix("/ui/login?next=") == true)
            #expect(try await anonymous.get("/ui/events?watch=env/").status == 401)
            #expect(try await anonymous.post("/ui/deploys/shop-prod/undo", form: ["to": "1"]).status == 401)
            // A forged cookie is no session.
            var forged = anonymous
            forged.cookie = "atlantis_session=atl_forged"
            #expect(try await forged.get("/ui").status == 303)

            let (_, refused) = try await Browser.login(auth.rig.url, user: "alice", password: "wrong")
            #expect(refused.status == 401)
            #expect(refused.body.contains("invalid user name or password"))
            #expect(refused.headers["Set-Cookie"].isEmpty)

            let (alice, login) = try await Browser.login(auth.rig.url, user: "alice")
            #expect(login.status == 303)
            let cookie = try #require(login.headers["Set-Cookie"].first)
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))

            let listed = await eventually {
                let page = try await alice.get("/ui")
                return page.status == 200 && page.body.contains("data-key=\"env/shop/prod/\"")
                    && page.body.contains("data-key=\"env/checkout/prod/\"") && page.body.contains("storefront")
            }
            #expect(listed, "the apps page lists every environment")
            let apps = try await alice.get("/ui")
            #expect(apps.headers["Server-Timing"].first?.hasPrefix("render;dur=") == true)
            #expect(apps.headers["Content-Security-Policy"].first?.contains("script-src 'self'") == true)

            // Each folder is its own watched cache: the routes may arrive after the apps did.
            #expect(
                await eventually {
                    try await alice.get("/ui/apps/shop/prod").body.contains("data-key=\"route/shop/prod/")
                },
                "the routes reach the page"
            )
            let environment = try await alice.get("/ui/apps/shop/prod")
            #expect(environment.status == 200)
            #expect(environment.body.contains("data-key=\"summary/shop/prod/\""))
            #expect(environment.body.contains("data-key=\"rel/shop/prod/"), "the release history")
            #expect(environment.body.contains("data-key=\"route/shop/prod/"), "the routes")
            #expect(environment.body.contains("data-follow=\"/ui/apps/shop/prod/logs"), "a member sees the log tail")
            #expect(try await alice.get("/ui/deploys/shop-prod").body.contains("Deploy shop-prod"))
            #expect(try await alice.get("/ui/cluster").status == 200)
            #expect(try await alice.get("/ui/builds").status == 200)
            let build = try await alice.get("/ui/builds/b-1700000000000-abcd")
            #expect(build.status == 200)
            #expect(
                build.body.contains("data-follow=\"/ui/builds/b-1700000000000-abcd/log?follow=true\""),
                "a live log"
            )
            #expect(try await alice.get("/ui/builds/..%2Fx").status == 400)
            #expect(try await alice.get("/ui/apps/nope/prod").status == 404)
            #expect(try await alice.get("/ui/apps/..%2F..%2Fauth/prod").status == 400)
        }
    }

    @Test func onlyMembersGetTheRollBackButtonAndTheServerChecksEveryPost() async throws {
        try await AuthRig.run { auth in
            _ = try await auth.seed()
            let member = try await auth.login("alice")
            _ = try await member.deploy(app: "shop", environment: "prod", DeployRequest(image: "127.0.0.1:5000/shop:2"))
            let pointer = auth.rig.tree.releases(deploy: "shop-prod")
            func current() async throws -> Int {
                let (data, _) = try await auth.rig.zk.getData(pointer)
                return try Payload.decode(ReleasePointer.self, from: data, path: pointer).current
            }
            #expect(try await current() == 2)

            let (alice, _) = try await Browser.login(auth.rig.url, user: "alice")
            let (carol, _) = try await Browser.login(auth.rig.url, user: "carol")
            let button = await eventually {
                let page = try await alice.get("/ui/apps/shop/prod")
                return page.body.contains("data-action=\"rollback\" data-release=\"1\"")
            }
            #expect(button, "the page shows release 2 as current, with a button back to 1")
            let carolsPage = try await carol.get("/ui/apps/shop/prod")
            #expect(carolsPage.status == 200, "a non-member sees the app")
            #expect(carolsPage.body.contains("data-key=\"rel/shop/prod/"))
            #expect(!carolsPage.body.contains("data-action=\"rollback\""), "but has no roll back button")
            #expect(!carolsPage.body.contains("data-action=\"scale\""))
            #expect(!carolsPage.body.contains("data-follow="), "nor the logs")

            // Carol forges the form with her own valid token: refused, nothing moves.
            let before = try await auth.desired()
            let carolsToken = try #require(carolsPage.csrf)
            let refused = try await carol.post("/ui/deploys/shop-prod/undo", form: ["csrf": carolsToken, "to": "1"])
            #expect(refused.status == 403)
            // A member's post without the token, or with carol's: refused as well.
            #expect(try await alice.post("/ui/deploys/shop-prod/undo", form: ["to": "1"]).status == 403)
            let wrong = try await alice.post("/ui/deploys/shop-prod/undo", form: ["csrf": carolsToken, "to": "1"])
            #expect(wrong.status == 403)
            #expect(wrong.body.contains("CSRF"))
            // Bad forms from a member: a clear refusal each, nothing written.
            let token = try #require(try await alice.get("/ui/apps/shop/prod").csrf)
            let huge = try await alice.post(
                "/ui/apps/shop/prod/scale",
                form: ["csrf": token, "instances": "3", "pad": String(repeating: "x", count: 20_000)]
            )
            #expect(huge.status == 413)
            let json = try await alice.send(
                .POST,
                "/ui/apps/shop/prod/scale",
                body: "{\"instances\": 3}",
                headers: [("Content-Type", "application/json")]
            )
            #expect(json.status == 415)
            let word = try await alice.post("/ui/apps/shop/prod/scale", form: ["csrf": token, "instances": "many"])
            #expect(word.status == 400)
            #expect(word.body.contains("instances"))
            #expect(
                try await alice.post("/ui/deploys/shop-prod/undo", form: ["csrf": token, "to": "-1"]).status == 400
            )
            #expect(try await auth.desired() == before)
            #expect(try await current() == 2)
            // A login never sends the browser off the dashboard.
            let (_, away) = try await Browser.login(auth.rig.url, user: "alice", next: "//evil.example/x")
            #expect(away.headers["Location"].first == "/ui")

            let page = try await alice.get("/ui/apps/shop/prod")
            let done = try await alice.post(
                "/ui/deploys/shop-prod/undo",
                form: ["csrf": try #require(page.csrf), "to": "1", "from": "2"]
            )
            #expect(done.status == 303)
            #expect(done.headers["Location"].first == "/ui/apps/shop/prod")
            #expect(try await current() == 1)
            // Logs: for the team and admins only, through the API and the dashboard alike.
            let carolsClient = try await auth.login("carol")
            let refusal = await problem {
                try await carolsClient.logs(app: "shop", environment: "prod") { _ in }
            }
            #expect(refusal?.code == .forbidden)
            #expect(try await carol.get("/ui/apps/shop/prod/logs").status == 403)
            let allowed = await problem { try await member.logs(app: "shop", environment: "prod") { _ in } }
            #expect(allowed == nil, "\(allowed.map { "\($0.status) \($0.detail)" } ?? "")")
            #expect(try await alice.get("/ui/apps/shop/prod/logs").status == 200)
            #expect(try await alice.get("/ui/apps/shop/prod/logs?instance=nope").status == 404)
            #expect(try await alice.get("/ui/apps/shop/prod/logs?since=yesterday").status == 400)
            let audit = try await member.audit(app: "shop").items
            #expect(audit.contains { $0.record.source == "dashboard" && $0.record.caller?.hasPrefix("alice@") == true })
        }
    }

    @Test func theStreamSendsAChangeWithinASecondAndAReconnectMissesNothing() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let browser = Browser(url: rig.url)
            #expect(await eventually { try await browser.get("/ui").body.contains("data-key=\"env/shop/prod/\"") })
            let page = try await browser.get("/ui/apps/shop/prod")
            let after = try #require(page.after)
            let watch = "inst/shop/prod/,summary/shop/prod/"

            // A supervisor's report, written straight to ZooKeeper: one event, within a second.
            let first = InstanceStatus.fake(zone: "zone-a", port: 40001)
            let path = rig.tree.instanceStatus("i-dash-1")
            let (events, written) = try await Self.whileStreaming(browser, watch: watch, after: after) {
                _ = try await rig.zk.create(path, data: try Payload.encode(first))
            } until: { events in
                events.contains { $0.data.contains("inst/shop/prod/i-dash-1") }
            }
            let event = try #require(events.first { $0.data.contains("inst/shop/prod/i-dash-1") })
            #expect(written.elapsed < .seconds(1), "delivered \(written.elapsed) after the write")
            #expect(event.name == "rows")
            #expect(event.data.contains("40001"))
            #expect(event.data.utf8.count < 4096, "a delta, not the page: \(event.data.utf8.count) bytes")
            #expect(!event.data.contains("env/checkout"), "only the rows this page watches")
            let last = try #require(event.id)

            // Two changes while nobody listens: a reconnect with Last-Event-ID gets both.
            _ = try await rig.zk.create(
                rig.tree.instanceStatus("i-dash-2"),
                data: try Payload.encode(InstanceStatus.fake(zone: "zone-b", port: 40002))
            )
            try await rig.zk.delete(path)
            let (status, resumed) = try await browser.events(watch: watch, after: after, lastEventID: last) { events in
                let text = events.map(\.data).joined()
                return text.contains("i-dash-2") && text.contains("\"removed\":true")
            }
            #expect(status == 200)
            let text = resumed.map(\.data).joined()
            #expect(text.contains("inst/shop/prod/i-dash-2"))
            #expect(text.contains("{\"key\":\"inst/shop/prod/i-dash-1\",\"removed\":true}"))
            // An id from another manager (or from before a restart) is told to reload.
            let (_, other) = try await browser.events(watch: watch, after: nil, lastEventID: "zzz-3") { !$0.isEmpty }
            #expect(other.first?.name == "reset")
            #expect(try await browser.events(watch: "../x", after: nil) { _ in true }.status == 400)
        }
    }

    @Test func thePagesSayStaleWhenTheManagerLosesZooKeeper() async throws {
        let script = ["/bin/bash", Repository.path("scripts/zk.sh")]
        #expect(Spawn.run(script + ["standalone", "dashzk", "2197"]).status == 0)
        defer { Spawn.run(script + ["stop", "dashzk"]) }
        try await APIRig.run(hosts: "127.0.0.1:2197") { rig in
            _ = try await rig.client.apply(try rig.examples())
            let browser = Browser(url: rig.url)
            #expect(await eventually { try await browser.get("/ui").body.contains("class=\"banner live\"") })
            let after = try #require(try await browser.get("/ui").after)
            // An open page is told, on its stream.
            let (events, _) = try await Self.whileStreaming(browser, watch: "env/", after: after, timeout: .seconds(10))
            {
                #expect(Spawn.run(script + ["kill", "dashzk"]).status == 0)
            } until: { events in
                events.contains { $0.data.contains("stale since") }
            }
            #expect(events.contains { $0.data.contains("stale since") })
            // A page loaded now says so too, instead of passing old data off as live.
            let page = try await browser.get("/ui")
            #expect(page.body.contains("stale since") && !page.body.contains("banner live"))
            #expect(page.body.contains("data-key=\"env/shop/prod/\""), "what it knew is still shown, marked stale")
            #expect(Spawn.run(script + ["standalone", "dashzk", "2197"]).status == 0)
            let live = await eventually(.seconds(40)) {
                try await browser.get("/ui").body.contains("class=\"banner live\"")
            }
            #expect(live, "live again once ZooKeeper is back")
        }
    }

    struct Written { var elapsed: Duration }

    final class Stamp: Sendable {
        let value = Mutex<ContinuousClock.Instant?>(nil)
        func set(_ instant: ContinuousClock.Instant) { value.withLock { $0 = instant } }
        var get: ContinuousClock.Instant? { value.withLock { $0 } }
    }

    /// Opens the stream, runs `change` once it is open, and reads until `enough`: the events
    /// and how long after `change` the last one came.
    static func whileStreaming(
        _ browser: Browser,
        watch: String,
        after: String,
        timeout: Duration = .seconds(5),
        _ change: @escaping @Sendable () async throws -> Void,
        until enough: @escaping @Sendable ([Browser.Event]) -> Bool
    ) async throws -> ([Browser.Event], Written) {
        let clock = ContinuousClock()
        let started = Stamp()
        let (events, finished) = try await withThrowingTaskGroup(of: ([Browser.Event], ContinuousClock.Instant)?.self) {
            group in
            group.addTask {
                let (_, events) = try await browser.events(watch: watch, after: after, timeout: timeout, until: enough)
                return (events, clock.now)
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(300))
                started.set(clock.now)
                try await change()
                return nil
            }
            var result: ([Browser.Event], ContinuousClock.Instant)?
            for try await value in group where value != nil { result = value }
            return result ?? ([], clock.now)
        }
        let begin = started.get ?? finished
        return (events, Written(elapsed: finished - begin))
    }
}
