import Foundation
import Manager
import Testing
import ZKModel
import ZooKeeper

@Suite("Releases: written with the documents, moved by undo", .serialized)
struct ReleaseTests {
    static func documents(image: String, env: String = "1", instances: Int = 2) -> String {
        """
        apiVersion: atlantis/v1
        kind: Team
        metadata: {name: t}
        spec: {members: [ann]}
        ---
        apiVersion: atlantis/v1
        kind: App
        metadata: {name: web}
        spec: {team: t, port: 8080, env: {LEVEL: "\(env)"}}
        ---
        apiVersion: atlantis/v1
        kind: Deploy
        metadata: {name: web-prod}
        spec: {app: web, environment: prod, image: "\(image)", instances: \(instances)}
        """
    }

    @Test func releasesFollowContentAndUndoIsAPointerMove() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load(yaml: Self.documents(image: "web:1")), options: .init())
        #expect(try await h.manager.currentRelease("web-prod") == 1)
        // Scaling is not a release; an image or an App env change is.
        try await h.manager.apply(try h.load(yaml: Self.documents(image: "web:1", instances: 5)), options: .init())
        #expect(try await h.manager.currentRelease("web-prod") == 1)
        try await h.manager.apply(try h.load(yaml: Self.documents(image: "web:2", instances: 5)), options: .init())
        try await h.manager.apply(
            try h.load(yaml: Self.documents(image: "web:2", env: "2", instances: 5)),
            options: .init()
        )
        let history = try await h.manager.releases("web-prod")
        #expect(history.map(\.number) == [1, 2, 3])
        #expect(history.map(\.image) == ["web:1", "web:2", "web:2"])
        #expect(history.last?.env == ["LEVEL": "2"])
        #expect(try await h.manager.audit().filter { $0.record.deploy != nil }.count == 3)

        let undone = try await h.manager.undo(deploy: "web-prod")
        #expect(undone.number == 2)
        #expect(try await h.manager.currentRelease("web-prod") == 2)
        let deploy = try #require(try await h.manager.get(.deploy, name: "web-prod").first)
        #expect(try deploy.document.decodeSpec(DeploySpec.self).image == "web:2")
        #expect(try await h.manager.releases("web-prod").count == 3, "undo makes no release")
        #expect(try await h.manager.audit().filter { $0.record.deploy != nil }.count == 4)
        await h.close()
    }

    @Test func badUndosAndInvalidAppliesWriteNothing() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load(yaml: Self.documents(image: "web:1")), options: .init())
        let before = try await h.dump()

        let noSuchRelease = await managerError { _ = try await h.manager.undo(deploy: "web-prod", to: 99) }
        #expect(noSuchRelease?.code == .notFound)
        #expect(noSuchRelease?.description.contains("has no release 99") == true)
        let nothingBefore = await managerError { _ = try await h.manager.undo(deploy: "web-prod") }
        #expect(nothingBefore?.code == .notFound)
        #expect(nothingBefore?.description.contains("no release before 1") == true)
        // A --from that names no release is refused, not taken for "already there".
        let noSuchFrom = await managerError { _ = try await h.manager.undo(deploy: "web-prod", from: 9) }
        #expect(noSuchFrom?.code == .notFound)
        #expect(
            noSuchFrom?.description.contains("has no release 9 to move from") == true,
            "\(String(describing: noSuchFrom))"
        )
        let noSuchDeploy = await managerError { _ = try await h.manager.undo(deploy: "nope") }
        #expect(noSuchDeploy?.code == .notFound)
        // An invalid image in an apply: refused, and no release either.
        let invalid = await managerError {
            try await h.manager.apply(try h.load(yaml: Self.documents(image: "Not An Image!")), options: .init())
        }
        #expect(invalid?.code == .invalidInput)
        #expect(invalid?.description.contains("spec.image") == true)
        #expect(try await h.dump() == before, "stored state untouched")
        await h.close()
    }
}
