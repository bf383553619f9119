public import Foundation
public import ZKModel
import ZooKeeper

/// Who the current request comes from, for audit records written while serving it (the
/// manager service sets it around each request).
public enum AuditCaller {
    @TaskLocal public static var current: String?
}

extension Manager {
    /// Who asks: `caller`, else the request being served.
    var auditCaller: String? { (caller ?? AuditCaller.current).map { String($0.prefix(256)) } }

    /// The audit record of a plan, created in the plan's own transaction.
    func auditOperation(_ plan: ApplyPlan, options: ApplyOptions) throws(ManagerError) -> ZooKeeper.Operation {
        var apps: Set<String> = []
        let changes = plan.actions.sorted { $0.key < $1.key }.map { action -> AuditRecord.Change in
            switch action {
            case .create(let document):
                apps.formUnion(Self.apps(of: document))
                return .init(action: "create", kind: document.kind.rawValue, name: document.name, before: nil, after: 0)
            case .update(let from, let document):
                apps.formUnion(Self.apps(of: document))
                apps.formUnion(Self.apps(of: from.document))
                return .init(
                    action: "update",
                    kind: document.kind.rawValue,
                    name: document.name,
                    before: from.version,
                    after: from.version + 1
                )
            case .delete(let stored):
                apps.formUnion(Self.apps(of: stored.document))
                return .init(
                    action: "delete",
                    kind: stored.document.kind.rawValue,
                    name: stored.document.name,
                    before: stored.version,
                    after: nil
                )
            }
        }
        let record = AuditRecord(
            time: Timestamp.string(Date()),
            source: options.source,
            action: options.action,
            caller: auditCaller,
            apps: Array(apps.sorted().prefix(64)),
            changes: changes
        )
        return .create(
            path: store.tree.auditRecordPrefix,
            data: try Self.payload(record),
            mode: .persistentSequential,
            acl: store.desiredACL
        )
    }

    /// The apps a document belongs to: an App itself, a Deploy's or a Route's app.
    static func apps(of document: Document) -> [String] {
        switch document.kind {
        case .app: return [document.name]
        case .deploy: return document.spec["app"]?.stringValue.map { [$0] } ?? []
        case .route: return document.spec["pool"]?["app"]?.stringValue.map { [$0] } ?? []
        default: return []
        }
    }

    /// How much history the audit folder keeps: the newest `maxRecords`, and none older than
    /// `maxAge` (checked among the oldest). A record is never changed. Pruning lists the whole
    /// folder, so a manager prunes after its first write and then after every `pruneEvery`-th
    /// (up to `pruneEvery - 1` records above the limit in between, per manager process).
    public struct AuditPolicy: Sendable {
        public var maxRecords: Int
        public var maxAge: Duration
        public var pruneEvery: Int

        public init(maxRecords: Int = 1000, maxAge: Duration = .seconds(30 * 24 * 3600), pruneEvery: Int = 32) {
            self.maxRecords = maxRecords
            self.maxAge = maxAge
            self.pruneEvery = max(1, pruneEvery)
        }
    }

    /// After a write: prunes when this manager's count of writes says it is time.
    func pruneAuditAfterWrite() async {
        if auditWrites.next() % auditPolicy.pruneEvery == 0 {
            await pruneAudit(auditPolicy)
        }
    }

    /// Deletes what `policy` no longer keeps; returns how many records it deleted. Best effort:
    /// another manager pruning at once deletes the same records, which is fine.
    @discardableResult
    public func pruneAudit(_ policy: AuditPolicy = AuditPolicy()) async -> Int {
        let folder = store.tree.audit
        guard let names = try? await store.zk.children(folder) else { return 0 }
        let sorted = names.sorted()  // e-<10-digit sequence>: oldest first
        var doomed = Array(sorted.prefix(max(0, sorted.count - policy.maxRecords)))
        let cutoff = Date().addingTimeInterval(-Double(policy.maxAge.components.seconds))
        let formatter = ISO8601DateFormatter()
        for name in sorted.dropFirst(doomed.count).prefix(16) {
            let path = ZNodeTree.child(name, of: folder)
            guard let (data, _) = try? await store.zk.getData(path),
                let record = try? Payload.decode(AuditRecord.self, from: data, path: path),
                let time = formatter.date(from: record.time), time < cutoff
            else { break }
            doomed.append(name)
        }
        return await deleteRecords(doomed.map { ZNodeTree.child($0, of: folder) })
    }

    /// Deletes audit records in transactions of up to 100 (one commit, one disk sync each, not one
    /// per record: a burst of single deletes under load showed in the router's tail); a chunk
    /// that fails whole (another manager pruned some of it) is deleted one by one. Returns how
    /// many this call deleted.
    private func deleteRecords(_ paths: [String]) async -> Int {
        var deleted = 0
        for start in stride(from: 0, to: paths.count, by: 100) {
            let chunk = Array(paths[start..<min(paths.count, start + 100)])
            if (try? await store.zk.multi(chunk.map { .delete(path: $0, version: -1) })) != nil {
                deleted += chunk.count
                continue
            }
            for path in chunk where (try? await store.zk.delete(path)) != nil { deleted += 1 }
        }
        return deleted
    }

    /// Audit records, oldest first: those of `app` when given, since `since` when given; at
    /// most `scan` of the newest records are read to find them.
    public func audit(
        app: String? = nil,
        since: Foundation.Date? = nil,
        limit: Int = 1000,
        scan: Int = .max
    ) async throws(ManagerError) -> [(
        id: String, record: AuditRecord
    )] {
        let folder = store.tree.audit
        do {
            let names = try await store.zk.children(folder).sorted()
            var out: [(String, AuditRecord)] = []
            let formatter = ISO8601DateFormatter()
            for name in names.reversed().prefix(scan) {
                let path = ZNodeTree.child(name, of: folder)
                guard let (data, _) = try? await store.zk.getData(path),
                    let record = try? Payload.decode(AuditRecord.self, from: data, path: path)
                else { continue }
                if let since, let time = formatter.date(from: record.time), time < since { break }
                if let app, !(record.apps ?? []).contains(app) { continue }
                out.append((name, record))
                if out.count >= limit { break }
            }
            return out.reversed()
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        } catch {
            throw Self.map(error)
        }
    }
}
