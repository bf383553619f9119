import Foundation
import Testing
import ZKModel
import ZooKeeper

@testable import Manager

/// A manager plans a change on the snapshot it last read or wrote (`SnapshotMemory`) and its
/// write checks every kind's folder; what another manager wrote meanwhile must still count.
@Suite("Manager remembered snapshots", .serialized)
struct SnapshotMemoryTests {
    static let app9090 = RaceTests.teamAndApp.replacingOccurrences(of: "port: 8080", with: "port: 9090")

    /// Two managers on one tree: `h` applied the Team and App (and remembers that snapshot),
    /// then `other` applied `yaml`.
    static func twoManagers(otherApplies yaml: String) async throws -> (h: Harness, other: Harness) {
        let h = try await Harness.make()
        let other = try await Harness.make(root: h.tree.root)
        try await h.manager.apply(try h.load(yaml: RaceTests.teamAndApp), options: .init())
        try await other.manager.apply(try other.load(yaml: yaml), options: .init())
        return (h, other)
    }

    @Test func consecutiveChangesAreNotPlannedOnAReadOfTheTree() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load(yaml: RaceTests.teamAndApp), options: .init())
        let first = try #require(h.manager.snapshots.recall()?.generation)
        try await h.manager.apply(try h.load(yaml: RaceTests.deploy("web-prod")), options: .init())
        try await h.manager.apply(try h.load(yaml: RaceTests.route), options: .init())
        // Each write folded into the snapshot (+1 each); a read of the tree would add one more.
        #expect(h.manager.snapshots.recall()?.generation == first + 2)
        #expect(try await h.manager.get(.route).map(\.document.name) == ["web"])
        await h.close()
    }

    @Test func aDeployCreatedByAnotherManagerStillForbidsASecondOne() async throws {
        let (h, other) = try await Self.twoManagers(otherApplies: RaceTests.deploy("web-b"))
        // h remembers no Deploy: its write's folder checks fail, it reads and plans again.
        let error = await managerError {
            try await h.manager.apply(try h.load(yaml: RaceTests.deploy("web-a")), options: .init())
        }
        #expect("\(error.map { "\($0)" } ?? "none")".contains("already runs app"), "\(String(describing: error))")
        #expect(try await h.manager.get(.deploy).map(\.document.name) == ["web-b"])
        await other.close()
        await h.close()
    }

    @Test func aReferenceCreatedByAnotherManagerResolves() async throws {
        let (h, other) = try await Self.twoManagers(otherApplies: RaceTests.deploy("web-prod"))
        // The Route refers to the Deploy h does not remember: refused on the remembered
        // snapshot, so decided again on a read, where it resolves.
        try await h.manager.apply(try h.load(yaml: RaceTests.route), options: .init())
        #expect(try await h.manager.get(.route).map(\.document.name) == ["web"])
        await other.close()
        await h.close()
    }

    @Test func nothingToDoIsDecidedOnWhatIsStoredNow() async throws {
        let (h, other) = try await Self.twoManagers(otherApplies: Self.app9090)
        // h remembers port 8080: applying it again is a change of what is stored (9090).
        let plan = try await h.manager.apply(try h.load(yaml: RaceTests.teamAndApp), options: .init())
        #expect(plan.actions.map(\.key.name) == ["web"], "\(plan.actions.map(\.key))")
        let app = try #require(try await h.manager.get(.app, name: "web").first)
        #expect(app.document.spec["port"] == .int(8080))
        await other.close()
        await h.close()
    }

    /// A change that neither writes nor checks the kind another manager wrote: only the check of
    /// every folder catches it (a prune that would miss a document of its own source).
    @Test func aPruneSeesWhatAnotherManagerWroteForItsSource() async throws {
        let h = try await Harness.make()
        let other = try await Harness.make(root: h.tree.root)
        let git = Manager.ApplyOptions(source: "git", prune: true)
        try await h.manager.apply(try h.load(yaml: RaceTests.teamAndApp), options: git)
        let service = """
            apiVersion: atlantis/v1
            kind: Service
            metadata: {name: extra}
            spec: {endpoints: [{host: 127.0.0.1, port: 9201}]}
            """
        try await other.manager.apply(try other.load(yaml: service), options: .init(source: "git"))
        let plan = try await h.manager.apply(try h.load(yaml: Self.app9090), options: git)
        #expect(
            Set(plan.actions.map(\.key)) == [
                DocumentKey(kind: .app, name: "web"), DocumentKey(kind: .service, name: "extra"),
            ]
        )
        #expect(try await h.manager.get(.service).isEmpty, "pruned: it is the source's and not in what it applied")
        await other.close()
        await h.close()
    }

    @Test func everyWriteOfADocumentMovesItsFolder() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load(yaml: RaceTests.teamAndApp), options: .init())
        let before = try #require(try await h.zk.exists(h.tree.desired(.team))).version
        // A Team refers to nothing: its folder moves all the same, on update and on delete.
        try await h.manager.apply(
            try h.load(yaml: RaceTests.teamAndApp.replacingOccurrences(of: "[ann]", with: "[ann, bob]")),
            options: .init()
        )
        #expect(try await h.zk.exists(h.tree.desired(.team))?.version == before + 1)
        await h.close()
    }
}
