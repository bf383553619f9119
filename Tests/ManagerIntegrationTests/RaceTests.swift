import Foundation
import Synchronization
import Testing
import ZKModel
import ZooKeeper

@testable import Manager

/// Races and lost replies, made to happen at the worst moment (`FaultPoints`) against the real
/// ZooKeeper: another manager writes between a command's read and its write, or a committed
/// write's reply is lost.
@Suite("Manager races and lost replies", .serialized)
struct RaceTests {
    /// Runs `body` the first time only.
    final class Once: Sendable {
        private let done = Mutex(false)
        func run(_ body: () async throws -> Void) async rethrows {
            if done.withLock({ d in
                defer { d = true }
                return d
            }) {
                return
            }
            try await body()
        }
    }

    static let teamAndApp = """
        apiVersion: atlantis/v1
        kind: Team
        metadata: {name: t}
        spec: {members: [ann]}
        ---
        apiVersion: atlantis/v1
        kind: App
        metadata: {name: web}
        spec: {team: t, port: 8080}
        """

    static func deploy(_ name: String, environment: String = "prod", image: String = "web:1") -> String {
        """
        apiVersion: atlantis/v1
        kind: Deploy
        metadata: {name: \(name)}
        spec: {app: web, environment: \(environment), image: "\(image)", instances: 1}
        """
    }

    static let route = """
        apiVersion: atlantis/v1
        kind: Route
        metadata: {name: web}
        spec: {host: web.test, pool: {app: web, environment: prod}}
        """

    static let lostReply = ZooKeeperError(code: .connectionLoss)

    /// `manager`, with `writer` run once between its first read and its write.
    static func racing(_ manager: Manager, with writer: @escaping @Sendable () async -> Void) -> Manager {
        var raced = manager
        let once = Once()
        raced.faults.afterRead = { await once.run(writer) }
        return raced
    }

    /// `manager`, told the connection dropped after its first write committed.
    static func losingFirstReply(_ manager: Manager) -> Manager {
        var losing = manager
        let once = Once()
        losing.faults.afterWrite = { try await once.run { throw lostReply } }
        return losing
    }

    @Test func twoDeploysOfOneAppAndEnvironmentCannotBothBeCreated() async throws {
        let h = try await Harness.make()
        let other = try await Harness.make(root: h.tree.root)
        try await h.manager.apply(try h.load(yaml: Self.teamAndApp), options: .init())
        let manager = Self.racing(h.manager) {
            _ = try? await other.manager.apply(try other.load(yaml: Self.deploy("web-b")), options: .init())
        }
        let error = await managerError {
            try await manager.apply(try h.load(yaml: Self.deploy("web-a")), options: .init())
        }
        #expect(error?.code == .invalidInput, "\(String(describing: error))")
        #expect("\(error.map { "\($0)" } ?? "")".contains("already runs app"), "\(String(describing: error))")
        #expect(try await h.manager.get(.deploy).map(\.document.name) == ["web-b"])
        await other.close()
        await h.close()
    }

    @Test func aReleaseForAnAppChangeDoesNotRevertAnUndoMadeMeanwhile() async throws {
        let h = try await Harness.make()
        let other = try await Harness.make(root: h.tree.root)
        try await h.manager.apply(
            try h.load(yaml: Self.teamAndApp + "\n---\n" + Self.deploy("web-prod")),
            options: .init()
        )
        try await h.manager.apply(try h.load(yaml: Self.deploy("web-prod", image: "web:2")), options: .init())
        let manager = Self.racing(h.manager) { _ = try? await other.manager.undo(deploy: "web-prod") }
        // An App change makes a new release of its Deploy, from the Deploy as read.
        try await manager.apply(
            try h.load(yaml: Self.teamAndApp.replacingOccurrences(of: "port: 8080", with: "port: 8081")),
            options: .init()
        )
        let spec = try #require(try await h.manager.get(.deploy, name: "web-prod").first).document
            .decodeSpec(DeploySpec.self)
        let current = try #require(try await h.manager.currentRelease("web-prod"))
        let release = try #require(try await h.manager.releases("web-prod").first { $0.number == current })
        #expect(spec.image == "web:1", "the undo stands")
        #expect(
            release.image == "web:1",
            "release \(current) runs \(release.image), the Deploy says \(spec.image ?? "-")"
        )
        #expect(release.port == 8081)
        await other.close()
        await h.close()
    }

    @Test func movingADeployToAnotherEnvironmentIsRefusedWhileARouteSendsTrafficToIt() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(
            try h.load(yaml: [Self.teamAndApp, Self.deploy("web-prod"), Self.route].joined(separator: "\n---\n")),
            options: .init()
        )
        let before = try await h.dump()
        let error = await managerError {
            try await h.manager.apply(
                try h.load(yaml: Self.deploy("web-prod", environment: "staging")),
                options: .init()
            )
        }
        #expect(error?.code == .invalidInput)
        #expect("\(error.map { "\($0)" } ?? "")".contains(#"Route "web""#), "\(String(describing: error))")
        #expect(try await h.dump() == before, "nothing written")
        await h.close()
    }

    @Test func aRouteCreatedMeanwhileIsNotLeftPointingAtNothing() async throws {
        let h = try await Harness.make()
        let other = try await Harness.make(root: h.tree.root)
        try await h.manager.apply(
            try h.load(yaml: Self.teamAndApp + "\n---\n" + Self.deploy("web-prod")),
            options: .init()
        )
        let manager = Self.racing(h.manager) {
            _ = try? await other.manager.apply(try other.load(yaml: Self.route), options: .init())
        }
        let error = await managerError {
            try await manager.apply(try h.load(yaml: Self.deploy("web-prod", environment: "staging")), options: .init())
        }
        #expect(error?.code == .invalidInput, "\(String(describing: error))")
        let spec = try #require(try await h.manager.get(.deploy, name: "web-prod").first).document
            .decodeSpec(DeploySpec.self)
        #expect(spec.environment == "prod")
        #expect(try await h.manager.get(.route).count == 1)
        await other.close()
        await h.close()
    }

    @Test func anUndoWhoseReplyIsLostMovesBackOneReleaseNotTwo() async throws {
        let h = try await Harness.make()
        for image in ["web:1", "web:2", "web:3"] {
            try await h.manager.apply(
                try h.load(yaml: Self.teamAndApp + "\n---\n" + Self.deploy("web-prod", image: image)),
                options: .init()
            )
        }
        let manager = Self.losingFirstReply(h.manager)
        let undone = try await manager.undo(deploy: "web-prod")
        #expect(undone.number == 2)
        #expect(try await h.manager.currentRelease("web-prod") == 2)
        // Run again naming where it moved from: already done, no further step back.
        #expect(try await h.manager.undo(deploy: "web-prod", from: 3).number == 2)
        #expect(try await h.manager.currentRelease("web-prod") == 2)
        // A pointer that moved elsewhere meanwhile is a conflict, not a move.
        let error = await managerError { try await h.manager.undo(deploy: "web-prod", to: 3, from: 1) }
        #expect(error?.code == .conflict, "\(String(describing: error))")
        #expect(
            try await h.manager.audit().filter { $0.record.deploy != nil }.count == 4,
            "three releases and one undo"
        )
        await h.close()
    }

    @Test func aTeardownOrDeleteWhoseReplyIsLostReportsSuccess() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(
            try h.load(yaml: [Self.teamAndApp, Self.deploy("web-prod"), Self.route].joined(separator: "\n---\n")),
            options: .init()
        )
        let manager = Self.losingFirstReply(h.manager)
        let plan = try await manager.teardown(deploy: "web-prod")
        #expect(plan.actions.count == 2, "the Deploy and its Route")
        #expect(try await h.manager.get(.deploy).isEmpty)

        let deleting = Self.losingFirstReply(h.manager)
        try await deleting.delete(DocumentKey(kind: .app, name: "web"))
        #expect(try await h.manager.get(.app).isEmpty)
        await h.close()
    }
}
