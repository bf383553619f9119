import AsyncHTTPClient
import Foundation
import ManagerAPI
import ManagerClient
import ManagerService
import NIOCore
import NIOHTTP1
import Testing
import ZKModel

/// The API against the real ZooKeeper and the real server on loopback.
@Suite("manager API", .serialized)
struct APITests {
    @Test func applyGetAndListCarryVersionsAndStatuses() async throws {
        try await APIRig.run { rig in
            let applied = try await rig.client.apply(try rig.examples())
            #expect(applied.changes.count == 16)
            #expect(applied.changes.contains(.init(action: .create, kind: .deploy, name: "shop-prod")))
            let again = try await rig.client.apply(try rig.examples())
            #expect(again.changes.isEmpty)
            #expect(again.unchanged.count == 16)

            let deploys = try await rig.client.list(.deploy)
            #expect(
                deploys.map { $0.document["metadata"]?["name"]?.stringValue } == [
                    "checkout-prod", "shop-prod", "shop-staging",
                ]
            )
            let one = try await rig.raw(.GET, "/v1/apps/shop")
            #expect(one.status == 200)
            let item = try JSONDecoder().decode(StoredItem.self, from: Data(one.body.utf8))
            #expect(one.headers["ETag"].first == "\"\(item.version)\"")
            #expect(item.document["kind"]?.stringValue == "App")

            let missing = await problem { _ = try await rig.client.get(.app, "nope") }
            #expect(missing?.code == .notFound)
            #expect(missing?.detail.contains(#"App "nope" does not exist"#) == true)
        }
    }

    @Test func aStaleIfMatchIsAConflictNamingTheDocumentAndWritesNothing() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let read = try await rig.client.get(.app, "shop")
            guard case .object(var document) = read.document, case .object(var spec)? = document["spec"] else {
                Issue.record("no spec")
                return
            }
            spec["port"] = .int(9090)
            document["spec"] = .object(spec)
            let body = JSONValue.object(document).encoded()
            let first = try await rig.json(.PUT, "/v1/apps/shop", body, headers: [("If-Match", "\"\(read.version)\"")])
            #expect(first.status == 200, "\(first.body)")

            let before = try await rig.dump()
            spec["port"] = .int(7070)
            document["spec"] = .object(spec)
            let stale = try await rig.json(
                .PUT,
                "/v1/apps/shop",
                JSONValue.object(document).encoded(),
                headers: [("If-Match", "\"\(read.version)\"")]
            )
            #expect(stale.status == 409)
            #expect(stale.headers["Content-Type"].first == "application/problem+json")
            #expect(stale.problem?.detail.contains(#"App "shop""#) == true, "\(stale.body)")
            #expect(stale.problem?.code.exitCode == 3)
            let deleted = try await rig.raw(.DELETE, "/v1/routes/gateway", headers: [("If-Match", "\"99\"")])
            #expect(deleted.status == 409)
            #expect(try await rig.dump() == before)

            let now = try await rig.client.get(.app, "shop")
            #expect(now.document["spec"]?["port"] == .int(9090))
            _ = try await rig.client.delete(
                .route,
                "gateway",
                ifVersion: try await rig.client.get(.route, "gateway").version
            )
            #expect(await problem { _ = try await rig.client.get(.route, "gateway") }?.code == .notFound)
        }
    }

    @Test func invalidDocumentsAreListedWithFileDocumentFieldAndReason() async throws {
        try await APIRig.run { rig in
            let before = try await rig.dump()
            let text = try String(
                contentsOf: APIRig.repoRoot.appendingPathComponent("Tests/Fixtures/invalid/negative-instances.yaml"),
                encoding: .utf8
            )
            let answer = try await rig.raw(
                .POST,
                "/v1/apply",
                body: Array(text.utf8),
                headers: [("Content-Type", "application/yaml")]
            )
            #expect(answer.status == 422)
            let entries = answer.problem?.problems ?? []
            #expect(
                entries.contains {
                    $0.file == "request.yaml" && $0.document == 1 && $0.key == #"Deploy "web-prod""#
                        && $0.field == "spec.instances" && $0.reason.contains("must be >= 0")
                },
                "\(answer.body)"
            )
            #expect(answer.problem?.code.exitCode == 2)
            #expect(try await rig.dump() == before)
        }
    }

    @Test func deployScaleUndoAndTeardownGoThroughTheAPI() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let deployed = try await rig.client.deploy(
                app: "shop",
                environment: "prod",
                DeployRequest(image: "127.0.0.1:5000/shop:2.0.0")
            )
            #expect(deployed.deploy == "shop-prod")
            #expect(deployed.release == 2)
            let scaled = try await rig.client.scale(app: "shop", environment: "prod", ScaleRequest(instances: 5))
            #expect(scaled.generation == deployed.generation + 1)
            let history = try await rig.client.releases("shop-prod")
            #expect(history.current == 2, "a scale makes no release")
            #expect(history.releases.map(\.image) == ["127.0.0.1:5000/shop:1.4.2", "127.0.0.1:5000/shop:2.0.0"])
            let undone = try await rig.client.undo("shop-prod", UndoRequest(to: 1))
            #expect(undone.release == 1)
            #expect(undone.image == "127.0.0.1:5000/shop:1.4.2")
            let state = try await rig.client.rollout("shop-prod")
            #expect(state.release == 1)
            #expect(state.outcome == .pending)  // no scheduler runs here

            let torn = try await rig.client.teardown(app: "shop", environment: "prod")
            #expect(torn.changes.contains(.init(action: .delete, kind: .deploy, name: "shop-prod")))
            #expect(torn.changes.contains { $0.kind == .route })
            let gone = await problem { _ = try await rig.client.teardown(app: "shop", environment: "prod") }
            #expect(gone?.code == .notFound)
            let list = try await rig.client.instances(app: "shop", environment: "prod", deploy: "shop-prod")
            #expect(list.items.isEmpty)
            #expect(list.placed == false)
        }
    }

    /// Two managers over one root, the same stale version sent to both at once: exactly one write
    /// lands, the other is a 409, and the stored document is the winner's, whole.
    @Test func twoManagersRacingOnOneDocumentOneWinsOneConflicts() async throws {
        let root = APIRig.newRoot()
        try await APIRig.run(root: root) { first in
            try await APIRig.run(root: root) { second in
                _ = try await first.client.apply(try first.examples())
                let read = try await first.client.get(.deploy, "shop-staging")
                func body(_ instances: Int) -> String {
                    guard case .object(var document) = read.document, case .object(var spec)? = document["spec"] else {
                        return "{}"
                    }
                    spec["instances"] = .int(instances)
                    document["spec"] = .object(spec)
                    return JSONValue.object(document).encoded()
                }
                let match = [("If-Match", "\"\(read.version)\"")]
                async let a = first.json(.PUT, "/v1/deploys/shop-staging", body(7), headers: match)
                async let b = second.json(.PUT, "/v1/deploys/shop-staging", body(8), headers: match)
                let answers = try await [a, b]
                #expect(answers.map(\.status).sorted() == [200, 409], "\(answers.map(\.body))")
                let winner = answers[0].status == 200 ? 7 : 8
                let stored = try await second.client.get(.deploy, "shop-staging")
                #expect(stored.document["spec"]?["instances"] == .int(winner))
                #expect(stored.version == read.version + 1)
            }
        }
    }

    @Test func pruneWithNoDocumentsIsRefused() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples(source: "git"))
            let before = try await rig.dump()
            let answer = try await rig.json(.POST, "/v1/apply", #"{"documents":[],"prune":true,"source":"git"}"#)
            #expect(answer.status == 422)
            #expect(answer.problem?.detail.contains("would delete everything source \"git\" applied") == true)
            #expect(try await rig.dump() == before)
        }
    }
}

/// Every accepted write leaves one audit record, written in its own transaction.
@Suite("manager API: audit", .serialized)
struct AuditTests {
    @Test func everyAcceptedWriteIsRecordedWithCallerVersionsAndSource() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples(source: "git"))
            _ = try await rig.client.scale(app: "shop", environment: "prod", ScaleRequest(instances: 4))
            let refused = await problem { _ = try await rig.client.delete(.app, "shop") }
            #expect(refused?.code == .invalidInput)
            _ = try await rig.client.delete(.route, "gateway")

            let all = try await rig.client.audit().items.map(\.record)
            #expect(all.map(\.action) == ["apply", "release", "release", "scale", "delete"], "\(all.map(\.action))")
            let first = try #require(all.first)
            #expect(first.source == "git")
            #expect(first.caller?.hasPrefix("127.0.0.1:") == true)
            #expect(first.changes?.count == 16)
            #expect(
                first.changes?.contains(.init(action: "create", kind: "App", name: "shop", before: nil, after: 0))
                    == true
            )
            let scale = all[3]
            #expect(scale.changes == [.init(action: "update", kind: "Deploy", name: "shop-prod", before: 0, after: 1)])
            #expect(scale.apps == ["shop"])
            #expect(
                all.last?.changes == [.init(action: "delete", kind: "Route", name: "gateway", before: 0, after: nil)]
            )

            let shop = try await rig.client.audit(app: "shop").items.map(\.record.action)
            #expect(shop == ["apply", "release", "scale"], "\(shop)")
            let none = try await rig.client.audit(since: "2999-01-01T00:00:00Z").items
            #expect(none.isEmpty)
        }
    }
}
