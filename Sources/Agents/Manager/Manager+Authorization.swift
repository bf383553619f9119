import Foundation
import Logging
import ZKModel
import ZooKeeper

extension Manager {
    /// The principal a write is checked against: nil when this manager does not check (no
    /// directory configured, or an in-process tool) and nobody was authenticated.
    func writer() throws(ManagerError) -> Principal? {
        if let current = WriteAccess.current { return current }
        if requireAuthorization {
            throw ManagerError(.forbidden, "this manager allows writes only to authenticated callers: log in")
        }
        return nil
    }

    /// Refuses `plan` unless `principal` may make every change in it (and audits the refusal).
    func authorize(
        _ plan: ApplyPlan,
        verb: String,
        snapshot: ClusterSnapshot,
        principal: Principal
    ) async throws(ManagerError) {
        guard let reason = Self.refusal(plan, verb: verb, snapshot: snapshot, principal: principal) else { return }
        await recordDenial(principal, verb: verb, apps: Self.apps(of: plan, snapshot: snapshot), reason: reason)
        throw ManagerError(.forbidden, reason + "; nothing was written")
    }

    /// Refuses the caller (when this manager checks callers) unless they may act on `app` as
    /// its team's members may (`verb`: secrets, build, cancel-build): the App as stored stands
    /// for the change.
    func authorizeAppAction(_ app: StoredDocument, verb: String, source: String) async throws(ManagerError) {
        guard let principal = try writer() else { return }
        var plan = ApplyPlan(source: source)
        plan.actions = [.update(from: app, to: app.document)]
        try await authorize(
            plan,
            verb: verb,
            snapshot: try await ownership(of: app.document.name),
            principal: principal
        )
    }

    /// Why `principal` may not make `plan`, or nil when it may. Teams, Zones and Services (every
    /// kind that is not an App's) are for platform admins; an App, its Deploys and Routes for
    /// the members of the App's team (before and after the change).
    public static func refusal(
        _ plan: ApplyPlan,
        verb: String,
        snapshot: ClusterSnapshot,
        principal: Principal
    ) -> String? {
        if let verbs = principal.verbs, !verbs.contains(verb) {
            return "\(principal.name) may not \(verb): the token allows only \(verbs.sorted().joined(separator: ", "))"
        }
        if principal.admin { return nil }
        var written: [DocumentKey: Document] = [:]
        for action in plan.actions {
            if case .create(let d) = action { written[d.key] = d }
            if case .update(_, let d) = action { written[d.key] = d }
        }
        func document(_ key: DocumentKey) -> Document? { written[key] ?? snapshot.documents[key]?.document }
        for action in plan.actions.sorted(by: { $0.key < $1.key }) {
            var documents: [Document] = []
            switch action {
            case .create(let d): documents = [d]
            case .update(let from, let d): documents = [from.document, d]
            case .delete(let stored): documents = [stored.document]
            }
            for d in documents {
                guard [.app, .deploy, .route].contains(d.kind) else {
                    return "\(d.key) is for platform admins to change, and \(principal.name) is not one"
                }
                let apps = Self.apps(of: d)
                guard !apps.isEmpty else { return "\(d.key) names no app; only a platform admin may change it" }
                for app in apps {
                    if let scope = principal.app, scope != app {
                        return "\(principal.name) may change only App \"\(scope)\", not \(d.key) (App \"\(app)\")"
                    }
                    let appDocument = d.kind == .app ? d : document(DocumentKey(kind: .app, name: app))
                    guard let team = appDocument?.spec["team"]?.stringValue else {
                        return "App \"\(app)\" has no team; only a platform admin may change \(d.key)"
                    }
                    // The team as stored: a write cannot make its author a member.
                    let teamDocument = snapshot.documents[DocumentKey(kind: .team, name: team)]?.document
                    guard principal.isMember(ofTeam: team, team: teamDocument) else {
                        return
                            "\(principal.name) may not change \(d.key): App \"\(app)\" belongs to team \(team), and \(principal.name) is not a member (ask the team's owner or a platform admin)"
                    }
                }
            }
        }
        return nil
    }

    /// Refuses an undo of `deploy` unless `principal` may change it.
    func authorizeUndo(_ deploy: StoredDocument, principal: Principal) async throws(ManagerError) {
        var plan = ApplyPlan(source: "undo")
        plan.actions = [.update(from: deploy, to: deploy.document)]
        let app = Self.apps(of: deploy.document).first ?? ""
        try await authorize(plan, verb: "undo", snapshot: try await ownership(of: app), principal: principal)
    }

    /// What `refusal` needs to judge a change to `app` or its Deploys: the App and its Team as
    /// stored (two reads, not the whole tree).
    func ownership(of app: String) async throws(ManagerError) -> ClusterSnapshot {
        var documents: [DocumentKey: StoredDocument] = [:]
        do {
            let appKey = DocumentKey(kind: .app, name: app)
            if let stored = try await store.read(appKey) {
                documents[appKey] = stored
                if let team = stored.document.spec["team"]?.stringValue {
                    let teamKey = DocumentKey(kind: .team, name: team)
                    documents[teamKey] = try await store.read(teamKey)
                }
            }
        } catch {
            throw Self.map(error)
        }
        return ClusterSnapshot(documents: documents, folderVersions: [:])
    }

    static func apps(of plan: ApplyPlan, snapshot: ClusterSnapshot) -> [String] {
        var apps: Set<String> = []
        for action in plan.actions {
            switch action {
            case .create(let d): apps.formUnion(Self.apps(of: d))
            case .update(let from, let d): apps.formUnion(Self.apps(of: d) + Self.apps(of: from.document))
            case .delete(let stored): apps.formUnion(Self.apps(of: stored.document))
            }
        }
        return apps.sorted()
    }

    /// An audit record of a refused write (who, what, why). Best effort: a refusal stands even
    /// when ZooKeeper cannot take its record.
    public func recordDenial(_ principal: Principal, verb: String, apps: [String], reason: String) async {
        var record = AuditRecord(
            time: Timestamp.string(Date()),
            source: "manager",
            action: "denied",
            caller: auditCaller ?? principal.name,
            apps: Array(apps.prefix(64)),
            changes: []
        )
        record.changes = nil
        record.reason = String("\(verb): \(reason)".prefix(512))
        do {
            try await store.zk.create(
                store.tree.auditRecordPrefix,
                data: try Self.payload(record),
                mode: .persistentSequential,
                acl: store.desiredACL
            )
        } catch {
            logger.warning("manager.denial_not_audited", metadata: ["error": "\(error)"])
        }
        logger.notice(
            "manager.denied",
            metadata: ["principal": "\(principal.name)", "verb": "\(verb)", "reason": "\(reason)"]
        )
    }
}
