import Testing
import ZKModel

@testable import Manager

/// What a write folds into the remembered snapshot, and when it forgets instead.
@Suite struct SnapshotMemoryUnitTests {
    static let team = ApplyPlannerTests.team
    static let stored = StoredDocument(document: team, version: 3)

    static func base() -> ClusterSnapshot {
        ClusterSnapshot(documents: [team.key: stored], folderVersions: [.team: 7, .app: 2])
    }

    static func update() -> (ApplyPlan, [DocumentKey: StoredDocument]) {
        var plan = ApplyPlan(source: "cli")
        var next = team
        next.metadata.labels = ["tier": "gold"]
        plan.actions = [.update(from: stored, to: next)]
        plan.folderBumps = [.team: 7]
        return (plan, [team.key: StoredDocument(document: next, version: 4)])
    }

    @Test func aWriteOnTheSnapshotItPlannedOnIsFoldedIn() throws {
        let memory = SnapshotMemory()
        let generation = memory.remember(Self.base())
        let (plan, written) = Self.update()
        memory.committed(plan, written: written, generation: generation)
        let after = try #require(memory.recall())
        #expect(after.generation == generation + 1)
        #expect(after.snapshot.documents[Self.team.key]?.version == 4)
        #expect(after.snapshot.documents[Self.team.key]?.document.metadata.labels == ["tier": "gold"])
        #expect(after.snapshot.folderVersions == [.team: 8, .app: 2], "the bumped folder moved, the other did not")
    }

    @Test func aWriteOnASnapshotReplacedMeanwhileForgetsIt() {
        let memory = SnapshotMemory()
        let generation = memory.remember(Self.base())
        _ = memory.remember(Self.base())  // another request read the tree in between
        let (plan, written) = Self.update()
        memory.committed(plan, written: written, generation: generation)
        #expect(memory.recall() == nil)
    }

    @Test func aWrittenDocumentThatDoesNotReadBackForgetsIt() {
        let memory = SnapshotMemory()
        let generation = memory.remember(Self.base())
        let (plan, _) = Self.update()
        memory.committed(plan, written: [:], generation: generation)
        #expect(memory.recall() == nil)
    }

    @Test func aDeleteRemovesTheDocument() throws {
        let memory = SnapshotMemory()
        let generation = memory.remember(Self.base())
        var plan = ApplyPlan(source: "cli")
        plan.actions = [.delete(Self.stored)]
        plan.folderBumps = [.team: 7]
        memory.committed(plan, written: [:], generation: generation)
        let after = try #require(memory.recall())
        #expect(after.snapshot.documents.isEmpty)
        #expect(after.snapshot.folderVersions[.team] == 8)
    }
}
