import Foundation
import Manager
import Testing
import ZKModel

@Suite("audit records are pruned")
struct AuditPruneTests {
    @Test func theNewestRecordsAreKeptAndOldOnesGo() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        var manager = h.manager
        manager.auditPolicy = .init(maxRecords: 3, pruneEvery: 1)
        for port in 8001...8006 {
            try await manager.apply(try h.load(yaml: Self.app(port: port)), options: .init())
        }
        let kept = try await manager.audit()
        #expect(kept.count == 3)
        #expect(kept.map(\.id) == kept.map(\.id).sorted())
        #expect(kept.last?.record.changes?.first?.before == 4, "the newest is kept")

        // An age limit removes records older than it, oldest first, whatever their count.
        manager.auditPolicy = .init(maxRecords: 1000, maxAge: .seconds(0))
        try await Task.sleep(for: .seconds(1.1))
        #expect(await manager.pruneAudit(manager.auditPolicy) == 3)
        #expect(try await manager.audit().isEmpty)
    }

    /// More records than one transaction holds (100) go in one prune, chunk by chunk.
    @Test func aPruneOfManyRecordsDeletesThemInTransactions() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        var manager = h.manager
        manager.auditPolicy = .init(maxRecords: 1000, pruneEvery: 1000)
        for i in 0..<130 {
            try await manager.apply(try h.load(yaml: Self.app(port: 8000 + i % 2)), options: .init())
        }
        #expect(try await manager.audit(limit: 1000).count == 130)
        #expect(await manager.pruneAudit(.init(maxRecords: 5)) == 125)
        let kept = try await manager.audit(limit: 1000)
        #expect(kept.count == 5)
        #expect(kept.map(\.id) == kept.map(\.id).sorted())
    }

    @Test func aManagerPrunesAfterItsFirstWriteAndThenEverySoMany() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        var manager = h.manager
        manager.auditPolicy = .init(maxRecords: 2, pruneEvery: 4)
        var counts: [Int] = []
        for port in 8001...8009 {
            // A copy, as the service makes per request: the count of writes is the process's.
            let copy = manager
            try await copy.apply(try h.load(yaml: Self.app(port: port)), options: .init())
            counts.append(try await manager.audit().count)
        }
        // Pruned after writes 1, 5 and 9 down to 2 records; in between the folder grows.
        #expect(counts == [1, 2, 3, 4, 2, 3, 4, 5, 2])
    }

    /// A Team and its App listening on `port`: each port a new version of the App.
    static func app(port: Int) -> String {
        """
        apiVersion: atlantis/v1
        kind: Team
        metadata: {name: t}
        spec: {members: [m]}
        ---
        apiVersion: atlantis/v1
        kind: App
        metadata: {name: a}
        spec: {team: t, port: \(port)}
        """
    }
}
