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
        manager.auditPolicy = .init(maxRecords: 3)
        for port in 8001...8006 {
            let yaml = """
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
            try await manager.apply(try h.load(yaml: yaml), options: .init())
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
}
