import Foundation
public import Logging
public import ZKModel
import ZooKeeper

/// The validation layer in front of desired state: checks documents (schema, names, references)
/// and writes them in one ZooKeeper transaction, or refuses them and writes nothing.
public struct Manager: Sendable {
    public let store: ClusterStore
    let planner = ApplyPlanner()
    public let logger: Logger
    /// ZooKeeper refuses a request above `jute.maxbuffer` (1 MiB by default).
    public static let maxTransactionBytes = 900 * 1024
    /// Fault injection for tests: widens a race or loses a reply at a chosen point.
    var faults = FaultPoints()
    /// What the audit folder keeps.
    public var auditPolicy = AuditPolicy()
    /// Writes this manager (and its copies) made, to prune the audit folder every so often.
    let auditWrites = AuditWriteCount()
    /// The snapshot this manager (and its copies) last read or wrote: what the next change is
    /// planned on, checked by its write.
    let snapshots = SnapshotMemory()
    /// How many releases of each Deploy are kept.
    public var releasePolicy = ReleasePolicy()
    /// Who asks, for the audit record (the manager service sets the caller's address per request).
    public var caller: String?
    /// Refuse writes that come without a `WriteAccess.current` principal (the manager service
    /// with a directory sets this; in-process tools and an open dev tree do not).
    public var requireAuthorization = false

    public init(store: ClusterStore, logger: Logger = Logger(label: "atlantis.manager")) {
        self.store = store
        self.logger = logger
    }

    public struct ApplyOptions: Sendable {
        public var source: String
        public var prune: Bool
        public var dryRun: Bool
        /// What the audit record calls the write: `apply`, `delete`, `teardown`.
        public var action: String

        public init(source: String = "cli", prune: Bool = false, dryRun: Bool = false, action: String = "apply") {
            self.source = source
            self.prune = prune
            self.dryRun = dryRun
            self.action = action
        }
    }

    /// Validates every document; throws all problems at once.
    public func validate(_ loaded: [LoadedDocument]) throws(ManagerError) -> [ApplyPlanner.Input] {
        try Self.validate(loaded)
    }

    public static func validate(_ loaded: [LoadedDocument]) throws(ManagerError) -> [ApplyPlanner.Input] {
        let validator = DocumentValidator()
        var inputs: [ApplyPlanner.Input] = []
        var problems: [InputProblem] = []
        for item in loaded {
            switch validator.validate(item.value) {
            case .success(let document):
                inputs.append(.init(location: item.location, document: document))
            case .failure(let invalid):
                let key = invalid.kind.flatMap { kind in invalid.name.map { DocumentKey(kind: kind, name: $0) } }
                problems.append(InputProblem(location: item.location, key: key, errors: invalid.errors))
            }
        }
        if !problems.isEmpty { throw .invalid(problems) }
        return inputs
    }

    /// Plans and writes `loaded` atomically. With `prune`, documents this source applied before
    /// and `loaded` no longer holds are deleted in the same transaction.
    @discardableResult
    public func apply(_ loaded: [LoadedDocument], options: ApplyOptions) async throws(ManagerError) -> ApplyPlan {
        let inputs = try Self.validate(loaded)
        var expected: [DocumentKey: Int32] = [:]
        for (item, input) in zip(loaded, inputs) {
            if let version = item.expectedVersion { expected[input.document.key] = version }
        }
        return try await commit(options: options) { snapshot throws(ManagerError) in
            let plan = try planner.plan(inputs, current: snapshot, source: options.source, prune: options.prune)
            // Nothing to write is no conflict: what is stored is what was asked (perhaps this
            // very write, whose reply was lost).
            if !plan.isEmpty { try Self.checkExpected(expected, in: snapshot) }
            return plan
        }
    }

    /// Deletes one document, refused while others refer to it (and, with `expectedVersion`,
    /// unless it is still at the version the caller read).
    @discardableResult
    public func delete(
        _ key: DocumentKey,
        source: String = "cli",
        expectedVersion: Int32? = nil
    ) async throws(ManagerError) -> ApplyPlan {
        try await commit(options: ApplyOptions(source: source, action: "delete")) { snapshot throws(ManagerError) in
            if let expectedVersion { try Self.checkExpected([key: expectedVersion], in: snapshot) }
            return try planner.planDelete(key, current: snapshot, source: source)
        }
    }

    /// Refuses the write when a document is not at the version its writer read.
    static func checkExpected(_ expected: [DocumentKey: Int32], in snapshot: ClusterSnapshot) throws(ManagerError) {
        for (key, version) in expected.sorted(by: { $0.key < $1.key }) {
            guard let stored = snapshot.documents[key] else {
                throw ManagerError(
                    .conflict,
                    "\(key) does not exist any more (it was read at version \(version)); nothing was written"
                )
            }
            guard stored.version == version else {
                throw ManagerError(
                    .conflict,
                    "\(key) is at version \(stored.version), not \(version) as read: someone changed it since; get it again and reapply. Nothing was written"
                )
            }
        }
    }

    /// Deletes a Deploy and every Route that sends traffic to its app and environment, together.
    @discardableResult
    public func teardown(deploy: String, source: String = "cli") async throws(ManagerError) -> ApplyPlan {
        try await commit(options: ApplyOptions(source: source, action: "teardown")) {
            snapshot throws(ManagerError) in
            let key = DocumentKey(kind: .deploy, name: deploy)
            guard let stored = snapshot.documents[key], let spec = try? stored.document.decodeSpec(DeploySpec.self)
            else {
                throw ManagerError(.notFound, "\(key) does not exist")
            }
            let routes = snapshot.documents.values.compactMap { route -> DocumentKey? in
                guard route.document.kind == .route, let r = try? route.document.decodeSpec(RouteSpec.self),
                    r.pool.app == spec.app, r.pool.environment == spec.environment
                else { return nil }
                return route.document.key
            }
            return try planner.planDelete(routes.sorted() + [key], current: snapshot, source: source)
        }
    }

    /// The release a Deploy's pointer names; nil before its first release.
    public func currentRelease(_ deploy: String) async throws(ManagerError) -> Int? {
        do {
            return try await store.releaseState(deploy)?.pointer.current
        } catch {
            throw Self.map(error)
        }
    }

    /// A Deploy's releases, oldest first.
    public func releases(_ deploy: String) async throws(ManagerError) -> [Release] {
        do {
            return try await store.releases(deploy)
        } catch {
            throw Self.map(error)
        }
    }

    public func get(_ kind: Kind, name: String? = nil) async throws(ManagerError) -> [StoredDocument] {
        do {
            if let name {
                guard let stored = try await store.read(DocumentKey(kind: kind, name: name)) else {
                    throw ManagerError(.notFound, "\(DocumentKey(kind: kind, name: name)) does not exist")
                }
                return [stored]
            }
            let snapshot = try await store.snapshot(kinds: [kind])
            // A listing does not leave out what it cannot read: it says so.
            if let problem = snapshot.unreadable.sorted(by: { $0.key.name < $1.key.name }).first {
                throw ManagerError(.invalidInput, problem.value)
            }
            return snapshot.documents.values.sorted { $0.document.name < $1.document.name }
        } catch {
            throw Self.map(error)
        }
    }

    /// The status agents last wrote for each of `documents` (absent when none yet).
    public func statuses(of documents: [StoredDocument]) async throws(ManagerError) -> [DocumentKey: ObjectStatus] {
        var out: [DocumentKey: ObjectStatus] = [:]
        do {
            for stored in documents {
                if let status = try await store.status(stored.document.key) { out[stored.document.key] = status }
            }
        } catch {
            throw Self.map(error)
        }
        return out
    }

    /// Planned on a remembered snapshot, a change found to need nothing is planned again on a read.
    private struct PlanOnARead: Error {}

    /// Reads, plans and writes. After a connection loss during the write (which may or may not
    /// have happened) it reads again and plans again: a plan with nothing left to do means it did.
    /// When another writer got there first (a version moved between the read and the write) it
    /// plans again on what is stored now, which may refuse the change (two Deploys of one app and
    /// environment) or find it already made.
    private func commit(
        options: ApplyOptions,
        plan makePlan: (ClusterSnapshot) throws(ManagerError) -> ApplyPlan
    ) async throws(ManagerError) -> ApplyPlan {
        var firstPlan: ApplyPlan?
        var indeterminate = false
        var lastConflict: ManagerError?
        // A dry run shows what is stored now: never planned on a remembered snapshot.
        var recall = !options.dryRun
        var attempt = 0
        while attempt < Self.attempts {
            attempt += 1
            let plan: ApplyPlan
            var releases: [ReleasePlanner.Change] = []
            var snapshot: ClusterSnapshot
            // The snapshot remembered (checked by the write, folder by folder), or one read now.
            let remembered = recall && !indeterminate ? snapshots.recall() : nil
            let generation: Int
            let operations: [ZooKeeper.Operation]
            do {
                if let remembered {
                    (snapshot, generation) = remembered
                } else {
                    try await store.bootstrap()
                    snapshot = try await store.snapshot()
                    generation = snapshots.remember(snapshot)
                }
                let planned = try Self.plan(
                    makePlan,
                    snapshot,
                    goneCountsAsDone: indeterminate,
                    beside: snapshot.unreadable
                )
                guard let made = planned else {
                    // What this command deletes is gone: its own write landed before the reply was lost.
                    return firstPlan ?? ApplyPlan(source: options.source)
                }
                plan = made
                // Nothing to do is decided on what is stored now.
                if plan.isEmpty && remembered != nil { throw PlanOnARead() }
                await faults.afterRead()
                if !plan.isEmpty && !options.dryRun {
                    releases = try await releaseChanges(plan, snapshot: snapshot, source: options.source)
                }
                if indeterminate && plan.isEmpty { return firstPlan ?? plan }
                if firstPlan == nil { firstPlan = plan }
                if plan.isEmpty || options.dryRun { return plan }
                if let principal = try writer() {
                    try await authorize(plan, verb: options.action, snapshot: snapshot, principal: principal)
                }
                let checks = remembered == nil ? [] : unchangedFolders(snapshot, plan: plan)
                operations =
                    try checks + self.operations(for: plan) + [auditOperation(plan, options: options)]
                    + releaseOperations(releases, source: options.source)
                    + releaseSourceChecks(releases, plan: plan, snapshot: snapshot)
                let size = operations.reduce(0) { $0 + $1.path.utf8.count + Self.payloadSize($1) }
                guard size <= Self.maxTransactionBytes else {
                    throw ManagerError(
                        .invalidInput,
                        "the change is \(size / 1024) KiB, above ZooKeeper's \(Self.maxTransactionBytes / 1024) KiB per transaction; apply fewer documents at once"
                    )
                }
            } catch {
                // A refusal is made on what is stored now: planned on a remembered snapshot, the
                // change is planned again on one read now (not counted as an attempt).
                if remembered != nil {
                    snapshots.forget()
                    recall = false
                    attempt -= 1
                    continue
                }
                throw Self.map(error)
            }
            do {
                try await store.zk.multi(operations)
                snapshots.committed(plan, written: written(plan), generation: generation)
                try await faults.afterWrite()
                await pruneAuditAfterWrite()
                for change in releases {
                    await pruneReleases(change.release.deploy, releasePolicy, newest: change.release.number)
                }
                logger.info(
                    "manager.applied",
                    metadata: ["apply.source": "\(options.source)", "apply.actions": "\(plan.actions.count)"]
                )
                return plan
            } catch let error as ZooKeeperError where error.isIndeterminate {
                snapshots.forget()
                logger.warning("manager.write_outcome_unknown", metadata: ["error": "\(error)"])
                indeterminate = true
                do {
                    try await store.zk.waitConnected(timeout: store.zk.configuration.sessionTimeout)
                } catch {
                    throw ManagerError(
                        .unknownOutcome,
                        "the connection to ZooKeeper dropped during the write; run the command again to see whether it was applied"
                    )
                }
                continue
            } catch let error as ZooKeeperError where Self.isRace(error) {
                // Planned on a remembered snapshot: the tree changed since (or the race is real).
                snapshots.forget()
                recall = false
                lastConflict = conflict(error, operations: operations, plan: plan)
                logger.info("manager.write_raced", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(Int64.random(in: 5...40)))
                continue
            } catch let error as ZooKeeperError {
                snapshots.forget()
                throw conflict(error, operations: operations, plan: plan)
            } catch {
                snapshots.forget()
                throw Self.map(error)
            }
        }
        throw lastConflict
            ?? ManagerError(
                .unknownOutcome,
                "the connection to ZooKeeper kept dropping during the write; run the command again"
            )
    }

    /// A refusal made beside documents that do not read names them (a reference to one looks
    /// missing). An unreadable document elsewhere in the tree blocks nobody.
    private static func naming(_ unreadable: [DocumentKey: String], in error: ManagerError) -> ManagerError {
        guard !unreadable.isEmpty else { return error }
        let names = unreadable.keys.map(\.description).sorted().joined(separator: ", ")
        return ManagerError(
            error.code,
            "\(error.message) (stored documents that do not read, repair or delete them: \(names))",
            problems: error.problems
        )
    }

    /// A plan that writes a document that does not read is refused (it would be taken for a create).
    private static func refuseWritingUnreadable(
        _ plan: ApplyPlan?,
        _ unreadable: [DocumentKey: String]
    ) throws(ManagerError) {
        guard !unreadable.isEmpty else { return }
        for action in plan?.actions ?? [] {
            if case .create(let document) = action, let problem = unreadable[document.key] {
                throw ManagerError(.invalidInput, problem)
            }
        }
    }

    /// The plan; nil when it finds what it deletes gone and `goneCountsAsDone`.
    /// Beside documents that do not read (`beside`), a refusal names them and a plan that writes
    /// one of them is refused.
    private static func plan(
        _ makePlan: (ClusterSnapshot) throws(ManagerError) -> ApplyPlan,
        _ snapshot: ClusterSnapshot,
        goneCountsAsDone: Bool,
        beside unreadable: [DocumentKey: String]
    ) throws(ManagerError) -> ApplyPlan? {
        let made: ApplyPlan
        do {
            made = try makePlan(snapshot)
        } catch {
            if goneCountsAsDone && error.code == .notFound { return nil }
            throw naming(unreadable, in: error)
        }
        try refuseWritingUnreadable(made, unreadable)
        return made
    }

    /// Attempts at one write (a connection loss or another writer each cost one).
    static let attempts = 5

    /// Another writer moved a version between this command's read and its write.
    static func isRace(_ error: ZooKeeperError) -> Bool {
        [.badVersion, .noNode, .nodeExists, .notEmpty].contains(error.code)
    }

    /// A release is made from the Deploy as read: the write commits only if it is still so (a
    /// `rollout undo` in between must not be reverted). Deploys the plan writes are checked by
    /// their own write.
    private func releaseSourceChecks(
        _ changes: [ReleasePlanner.Change],
        plan: ApplyPlan,
        snapshot: ClusterSnapshot
    ) -> [ZooKeeper.Operation] {
        let written = Set(plan.actions.map(\.key))
        return changes.compactMap { change in
            let key = DocumentKey(kind: .deploy, name: change.release.deploy)
            guard !written.contains(key), let stored = snapshot.documents[key] else { return nil }
            return .check(path: store.tree.desired(key), version: stored.version)
        }
    }

    /// New releases for the Deploys this plan changes (directly or through their App).
    private func releaseChanges(
        _ plan: ApplyPlan,
        snapshot: ClusterSnapshot,
        source: String
    ) async throws -> [ReleasePlanner.Change] {
        var after = snapshot.allDocuments
        for action in plan.actions {
            switch action {
            case .create(let d), .update(_, let d): after[d.key] = d
            case .delete(let stored): after[stored.document.key] = nil
            }
        }
        let planner = ReleasePlanner()
        let deploys = planner.affectedDeploys(plan, after: after)
        var current: [String: ReleasePlanner.Current] = [:]
        var secrets: [String: Int] = [:]
        for name in deploys {
            if let state = try await store.releaseState(name) { current[name] = state }
            if let document = after[DocumentKey(kind: .deploy, name: name)],
                let spec = try? document.decodeSpec(DeploySpec.self),
                let stored = try await self.secrets(app: spec.app, environment: spec.environment)
            {
                secrets[name] = stored.set.revision
            }
        }
        return planner.changes(deploys: deploys, after: after, current: current, source: source, secrets: secrets)
    }

    /// Writes a release, moves its Deploy's pointer (at the version read) and appends an audit record.
    func releaseOperations(
        _ changes: [ReleasePlanner.Change],
        source: String,
        action: String = "release"
    ) throws(ManagerError) -> [ZooKeeper.Operation] {
        let tree = store.tree
        var ops: [ZooKeeper.Operation] = []
        for change in changes {
            let release = change.release
            let pointer = ReleasePointer(current: release.number, latest: release.number)
            var record = AuditRecord(
                time: release.createdAt,
                source: source,
                action: action,
                deploy: release.deploy,
                from: change.from,
                to: release.number
            )
            record.apps = [release.app]
            record.caller = auditCaller
            let pointerBytes = try Self.payload(pointer)
            let releaseBytes = try Self.payload(release)
            let recordBytes = try Self.payload(record)
            if let version = change.pointerVersion {
                ops.append(.setData(path: tree.releases(deploy: release.deploy), data: pointerBytes, version: version))
            } else {
                ops.append(
                    .create(path: tree.releases(deploy: release.deploy), data: pointerBytes, acl: store.desiredACL)
                )
            }
            ops.append(
                .create(
                    path: tree.release(deploy: release.deploy, number: release.number),
                    data: releaseBytes,
                    acl: store.desiredACL
                )
            )
            ops.append(
                .create(
                    path: tree.auditRecordPrefix,
                    data: recordBytes,
                    mode: .persistentSequential,
                    acl: store.desiredACL
                )
            )
        }
        return ops
    }

    /// Encodes what a release move writes; a value that cannot be encoded refuses the whole write.
    static func payload(_ value: some Encodable) throws(ManagerError) -> [UInt8] {
        do {
            return try Payload.encode(value)
        } catch {
            throw ManagerError(.invalidInput, error.description)
        }
    }

    private func conflict(_ error: ZooKeeperError, operations: [ZooKeeper.Operation], plan: ApplyPlan) -> ManagerError {
        switch error.code {
        case .badVersion, .noNode, .nodeExists, .notEmpty:
            var what = "the stored state"
            if let index = error.failedOperationIndex, index < operations.count {
                let path = operations[index].path
                if let key = store.tree.key(ofDesired: path) {
                    what = "\(key)"
                } else if let kind = Kind.allCases.first(where: { store.tree.desired($0) == path }) {
                    what = "the set of \(kind.rawValue) documents"
                }
            }
            return ManagerError(
                .conflict,
                "\(what) changed while this command ran (another writer got there first); nothing was written: run it again"
            )
        case .noAuth:
            return ManagerError(
                .forbidden,
                "ZooKeeper refused the write: this identity may not change desired state (give the manager's credentials with --zk-auth)"
            )
        default:
            return Self.map(error)
        }
    }

    public static func map(_ error: any Error) -> ManagerError {
        if let error = error as? ManagerError { return error }
        if let error = error as? ZooKeeperError {
            switch error.code {
            case .connectionLoss, .operationTimeout, .sessionExpired, .closing:
                return ManagerError(.unreachable, "ZooKeeper is unreachable: \(error)")
            case .noAuth:
                return ManagerError(.forbidden, "ZooKeeper refused: \(error)")
            default:
                return ManagerError(.unknownOutcome, "ZooKeeper error: \(error)")
            }
        }
        return ManagerError(.unknownOutcome, "\(error)")
    }

    static func payloadSize(_ op: ZooKeeper.Operation) -> Int {
        switch op {
        case .create(_, let data, _, _), .setData(_, let data, _): return data.count
        case .delete, .check: return 16
        }
    }

    /// The transaction for a plan: checks first, then writes.
    func operations(for plan: ApplyPlan) -> [ZooKeeper.Operation] {
        let tree = store.tree
        var ops: [ZooKeeper.Operation] = []
        for (kind, version) in plan.folderChecks.sorted(by: { $0.key.dependencyRank < $1.key.dependencyRank }) {
            ops.append(.check(path: tree.desired(kind), version: version))
        }
        for (key, version) in plan.checks.sorted(by: { $0.key < $1.key }) {
            ops.append(.check(path: tree.desired(key), version: version))
        }
        for action in plan.actions.sorted(by: { $0.key < $1.key }) {
            switch action {
            case .create(let document):
                let written = Self.written(document, version: 0)
                ops.append(.create(path: tree.desired(document.key), data: written, acl: store.desiredACL))
            case .update(let from, let document):
                let written = Self.written(document, version: from.version + 1)
                ops.append(.setData(path: tree.desired(document.key), data: written, version: from.version))
            case .delete(let stored):
                ops.append(.delete(path: tree.desired(stored.document.key), version: stored.version))
            }
        }
        for (kind, version) in plan.folderBumps.sorted(by: { $0.key.dependencyRank < $1.key.dependencyRank }) {
            ops.append(.setData(path: tree.desired(kind), data: [], version: version))
        }
        return ops
    }

    /// The bytes of `document` stored at data `version` (its generation is the version + 1).
    static func written(_ document: Document, version: Int32) -> [UInt8] {
        var document = document
        document.metadata.generation = Int(version) + 1
        return document.json.canonicalBytes
    }

    /// Each document `plan` created or updated, as now stored (read back from the bytes written;
    /// one that does not read back is left out, and the memory then forgets its snapshot).
    func written(_ plan: ApplyPlan) -> [DocumentKey: StoredDocument] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var out: [DocumentKey: StoredDocument] = [:]
        for action in plan.actions {
            let (document, version): (Document, Int32)
            switch action {
            case .create(let created): (document, version) = (created, 0)
            case .update(let from, let updated): (document, version) = (updated, from.version + 1)
            case .delete: continue
            }
            let data = Self.written(document, version: version)
            out[action.key] = try? store.document(action.key, data: data, version: version, modified: now)
        }
        return out
    }

    /// For a plan made on a remembered snapshot: a check of every kind's folder the plan neither
    /// bumps nor checks, at the version remembered (every write of a document bumps its folder,
    /// so the transaction commits only if nothing changed since the snapshot).
    func unchangedFolders(_ snapshot: ClusterSnapshot, plan: ApplyPlan) -> [ZooKeeper.Operation] {
        snapshot.folderVersions.sorted { $0.key.dependencyRank < $1.key.dependencyRank }.compactMap { kind, version in
            guard plan.folderBumps[kind] == nil, plan.folderChecks[kind] == nil else { return nil }
            return .check(path: store.tree.desired(kind), version: version)
        }
    }
}

extension Manager {
    /// Moves a Deploy back to an earlier release (the one before the current by default): one
    /// transaction moves the pointer, sets the Deploy's image to that release's, and appends an
    /// audit record. Returns the release now current.
    ///
    /// Idempotent: it names the release it moves from (`from`, or the current one when it
    /// starts), so a write whose reply was lost is retried or found done, never repeated one
    /// release further back; a pointer moved by someone else meanwhile is a conflict.
    @discardableResult
    public func undo(
        deploy: String,
        to number: Int? = nil,
        from expected: Int? = nil,
        source: String = "cli"
    ) async throws(ManagerError) -> Release {
        let key = DocumentKey(kind: .deploy, name: deploy)
        var from = expected
        var target: Release?
        for _ in 1...Self.attempts {
            do {
                // The Deploy and its release pointer are read at once.
                async let reading = store.read(key)
                async let pointing = store.releaseState(deploy)
                guard let stored = try await reading else {
                    throw ManagerError(.notFound, "\(key) does not exist")
                }
                guard let state = try await pointing else {
                    throw ManagerError(.notFound, "\(key) has no release yet")
                }
                if target == nil, let principal = try writer() {
                    try await authorizeUndo(stored, principal: principal)
                }
                let start = from ?? state.pointer.current
                from = start
                let goal: Release
                if let target {
                    goal = target
                } else {
                    goal = try await undoTarget(key, to: number, from: start)
                    target = goal
                }
                if state.pointer.current == goal.number { return goal }  // done (perhaps by a lost reply)
                guard state.pointer.current == start else {
                    throw ManagerError(
                        .conflict,
                        "\(key) is at release \(state.pointer.current) now, not \(start): it moved while this command ran; nothing was written (see `atlantis rollout history \(deploy)`)"
                    )
                }
                await faults.afterRead()
                try await writeUndo(key, stored: stored, state: state, to: goal, source: source)
                try await faults.afterWrite()
                return goal
            } catch let error as ZooKeeperError where error.isIndeterminate {
                logger.warning("manager.undo_outcome_unknown", metadata: ["error": "\(error)"])
                do {
                    try await store.zk.waitConnected(timeout: store.zk.configuration.sessionTimeout)
                } catch {
                    let retry = target.map { "`atlantis rollout undo \(deploy) --to \($0.number)`" } ?? "the command"
                    throw ManagerError(
                        .unknownOutcome,
                        "the connection to ZooKeeper dropped during the write; run \(retry) again: it finishes the move or finds it done"
                    )
                }
            } catch let error as ZooKeeperError where error.code == .badVersion {
                continue  // the Deploy or pointer moved: read again; `from` tells a move of ours from another
            } catch {
                throw Self.map(error)
            }
        }
        throw ManagerError(.conflict, "\(key) kept changing while this command ran; nothing was written: run it again")
    }

    /// The release an undo moves to: `number`, or the one before `from`.
    private func undoTarget(_ key: DocumentKey, to number: Int?, from: Int) async throws -> Release {
        // Only the target is read: the history's names say which it is.
        let numbers = try await store.releaseNumbers(key.name)
        let wanted = number ?? numbers.last(where: { $0 < from })
        if numbers.contains(from), let wanted, numbers.contains(wanted),
            let found = try await store.release(key.name, wanted)
        {
            return found
        }
        let history = try await store.releases(key.name)
        guard history.contains(where: { $0.number == from }) else {
            throw ManagerError(
                .notFound,
                "\(key) has no release \(from) to move from; see `atlantis rollout history \(key.name)`"
            )
        }
        if let number {
            guard let found = history.first(where: { $0.number == number }) else {
                throw ManagerError(
                    .notFound,
                    "\(key) has no release \(number) (the newest \(releasePolicy.keep) releases and those in use are kept); see `atlantis rollout history \(key.name)`"
                )
            }
            return found
        }
        guard let previous = history.last(where: { $0.number < from }) else {
            throw ManagerError(.notFound, "\(key) has no release before \(from) to go back to")
        }
        return previous
    }

    /// The undo's transaction: the Deploy's image, the pointer (both at the versions read) and
    /// the audit record.
    private func writeUndo(
        _ key: DocumentKey,
        stored: StoredDocument,
        state: ReleasePlanner.Current,
        to target: Release,
        source: String
    ) async throws {
        var document = stored.document
        var spec = try document.decodeSpec(DeploySpec.self)
        spec.image = target.image
        spec.build = nil
        document.spec = try JSONValue.parse(String(decoding: Payload.encode(spec), as: UTF8.self))
        document.metadata.generation = Int(stored.version) + 2
        let pointer = ReleasePointer(current: target.number, latest: state.pointer.latest)
        var record = AuditRecord(
            time: Timestamp.string(Date()),
            source: source,
            action: "undo",
            deploy: key.name,
            from: state.pointer.current,
            to: target.number
        )
        record.apps = [target.app]
        record.caller = auditCaller
        // The Deploys' folder moves with the Deploy, as with every write of a document (at any
        // version: the Deploy's own version is the check); a remembered snapshot is now stale.
        snapshots.forget()
        try await store.zk.multi([
            .setData(path: store.tree.desired(key), data: document.json.canonicalBytes, version: stored.version),
            .setData(path: store.tree.desired(.deploy), data: [], version: -1),
            .setData(
                path: store.tree.releases(deploy: key.name),
                data: try Payload.encode(pointer),
                version: state.pointerVersion
            ),
            .create(
                path: store.tree.auditRecordPrefix,
                data: try Payload.encode(record),
                mode: .persistentSequential,
                acl: store.desiredACL
            ),
        ])
        logger.info(
            "manager.undo",
            metadata: ["deploy": "\(key.name)", "from": "\(state.pointer.current)", "to": "\(target.number)"]
        )
    }
}
