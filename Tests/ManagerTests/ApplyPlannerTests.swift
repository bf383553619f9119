import Manager
import Testing
import ZKModel

@Suite struct ApplyPlannerTests {
    static func doc(_ kind: Kind, _ name: String, _ spec: [String: JSONValue], source: String? = nil) -> Document {
        Document(kind: kind, metadata: .init(name: name, source: source), spec: .object(spec))
    }

    static let team = doc(.team, "t", ["members": .array([.string("ann")])])
    static let app = doc(.app, "web", ["team": .string("t"), "port": .int(80)])

    static func snapshot(_ docs: [(Document, Int32)]) -> ClusterSnapshot {
        var stored: [DocumentKey: StoredDocument] = [:]
        for (d, version) in docs {
            var d = d
            d.metadata.generation = Int(version) + 1
            stored[d.key] = StoredDocument(document: d, version: version)
        }
        return ClusterSnapshot(documents: stored, folderVersions: [:])
    }

    func plan(
        _ docs: [Document],
        _ current: ClusterSnapshot,
        source: String = "cli",
        prune: Bool = false
    ) throws -> ApplyPlan {
        try ApplyPlanner().plan(
            docs.map { .init(location: nil, document: $0) },
            current: current,
            source: source,
            prune: prune
        )
    }

    @Test func unchangedDocumentsAreNotRewritten() throws {
        let current = Self.snapshot([(Self.doc(.team, "t", ["members": .array([.string("ann")])], source: "cli"), 4)])
        let p = try plan([Self.team], current)
        #expect(p.actions.isEmpty)
        #expect(p.unchanged == [DocumentKey(kind: .team, name: "t")])
    }

    @Test func changedContentOrOwnerIsAnUpdateAtTheReadVersion() throws {
        let current = Self.snapshot([(Self.doc(.team, "t", ["members": .array([.string("bob")])], source: "cli"), 4)])
        let p = try plan([Self.team], current)
        guard case .update(let from, let to)? = p.actions.first else {
            Issue.record("expected an update")
            return
        }
        #expect(from.version == 4)
        #expect(to.metadata.source == "cli")
        let owned = Self.snapshot([(Self.doc(.team, "t", ["members": .array([.string("ann")])], source: "gitops"), 0)])
        #expect(try plan([Self.team], owned).actions.count == 1)
    }

    @Test func referencesMayBeSatisfiedInTheSameApply() throws {
        let p = try plan([Self.app, Self.team], Self.snapshot([]))
        #expect(p.actions.count == 2)
        #expect(throws: ManagerError.self) { try plan([Self.app], Self.snapshot([])) }
    }

    @Test func writingAReferrerChecksTheReferencedVersion() throws {
        let current = Self.snapshot([(Self.doc(.team, "t", ["members": .array([.string("ann")])], source: "cli"), 7)])
        let p = try plan([Self.app], current)
        #expect(p.checks == [DocumentKey(kind: .team, name: "t"): 7])
        #expect(p.folderBumps == [.app: 0], "bumped at the version read")
    }

    @Test func pruneDeletesOnlyThisSourcesDocuments() throws {
        let current = Self.snapshot([
            (Self.doc(.zone, "a", ["region": .string("r")], source: "gitops"), 0),
            (Self.doc(.zone, "b", ["region": .string("r")], source: "gitops"), 2),
            (Self.doc(.zone, "c", ["region": .string("r")], source: "cli"), 0),
        ])
        let p = try plan([Self.doc(.zone, "a", ["region": .string("r")])], current, source: "gitops", prune: true)
        #expect(p.actions.map(\.key) == [DocumentKey(kind: .zone, name: "b")])
        if case .delete(let stored)? = p.actions.first { #expect(stored.version == 2) }
        #expect(p.folderChecks[.deploy] != nil)  // nothing may start referring to it meanwhile
    }

    @Test func pruneRefusesToLeaveOthersDangling() throws {
        let current = Self.snapshot([
            (Self.doc(.team, "t", ["members": .array([])], source: "gitops"), 0),
            (Self.doc(.app, "web", ["team": .string("t"), "port": .int(80)], source: "cli"), 0),
        ])
        #expect {
            try plan([Self.doc(.zone, "z", ["region": .string("r")])], current, source: "gitops", prune: true)
        } throws: { error in
            let e = error as? ManagerError
            return e?.code == .invalidInput && e?.description.contains(#"App "web" still refers to it"#) == true
        }
    }

    @Test func staleGenerationIsAConflict() throws {
        let current = Self.snapshot([(Self.doc(.team, "t", ["members": .array([.string("bob")])], source: "cli"), 4)])
        var stale = Self.team
        stale.metadata.generation = 3
        #expect { try plan([stale], current) } throws: { ($0 as? ManagerError)?.code == .conflict }
        var fresh = Self.team
        fresh.metadata.generation = 5
        #expect(try plan([fresh], current).actions.count == 1)
    }

    @Test func deletingAReferencedDocumentIsRefused() throws {
        let current = Self.snapshot([(Self.team, 0), (Self.app, 0)])
        #expect { try ApplyPlanner().planDelete(Self.team.key, current: current, source: "cli") } throws: {
            ($0 as? ManagerError)?.code == .invalidInput
        }
        let p = try ApplyPlanner().planDelete(Self.app.key, current: current, source: "cli")
        #expect(p.actions.map(\.key) == [Self.app.key])
        #expect {
            try ApplyPlanner().planDelete(DocumentKey(kind: .zone, name: "nope"), current: current, source: "cli")
        } throws: {
            ($0 as? ManagerError)?.code == .notFound
        }
    }
}

@Suite struct LineDiffTests {
    @Test func removalsComeBeforeAdditionsAndCommonLinesStay() {
        #expect(LineDiff.diff("a\nb\nc", "a\nx\nc") == ["  a", "- b", "+ x", "  c"])
        #expect(LineDiff.diff("a", "a\nb") == ["  a", "+ b"])
        #expect(LineDiff.diff("a\nb", "b") == ["- a", "  b"])
    }
}
