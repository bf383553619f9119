import Foundation
import Logging
public import ZKModel
import ZooKeeper

extension Manager {
    /// One build as the manager shows it: the request and the builder's status, if any yet.
    public struct BuildView: Sendable, Hashable {
        public var id: String
        public var request: BuildRequest
        public var status: BuildStatus?
    }

    /// Writes a build request for `app` (a member of its team may; admins too), with its audit
    /// record, in one transaction. Returns the build's id.
    public func requestBuild(
        app: String,
        source: BuildSource,
        deploy: String? = nil,
        requestedBy: String,
        origin: String = "cli",
        commit: String? = nil
    ) async throws(ManagerError) -> String {
        try check(source)
        try await mayBuild(app: app, origin: origin)
        let now = Date()
        let id = BuildRequest.newID(
            millisecondsSince1970: Int64(now.timeIntervalSince1970 * 1000),
            random: UInt16.random(in: 0...UInt16.max)
        )
        var request = BuildRequest(
            app: app,
            source: source,
            requestedBy: requestedBy,
            requestedAt: Timestamp.string(now),
            deploy: deploy
        )
        request.commit = commit
        var record = AuditRecord(
            time: request.requestedAt,
            source: origin,
            action: "build",
            caller: auditCaller,
            apps: [app],
            changes: []
        )
        record.changes = nil
        record.build = id
        record.deploy = deploy
        record.reason = String(source.summary.prefix(512))
        do {
            try await store.zk.ensurePath(store.tree.builds)
            try await store.zk.multi([
                .create(path: store.tree.build(id), data: try Self.payload(request), acl: store.desiredACL),
                .create(
                    path: store.tree.auditRecordPrefix,
                    data: try Self.payload(record),
                    mode: .persistentSequential,
                    acl: store.desiredACL
                ),
            ])
        } catch let error as ManagerError {
            throw error
        } catch {
            throw Self.map(error)
        }
        logger.info("manager.build", metadata: ["app": "\(app)", "build": "\(id)", "source": "\(source.summary)"])
        return id
    }

    /// Refuses a caller who may not build `app` (before an upload is stored).
    /// Refuses the caller unless they may read `app`'s container output: its team's members
    /// and admins (a refusal is audited).
    public func mayReadLogs(app: String) async throws(ManagerError) {
        try await authorizeApp(app, verb: "logs", origin: "api")
    }

    public func mayBuild(app: String, origin: String = "cli") async throws(ManagerError) {
        try await authorizeApp(app, verb: "build", origin: origin, missing: "; apply it before building it")
    }

    /// The stored App `app`, then `authorizeAppAction` on it (404 when it does not exist).
    func authorizeApp(_ app: String, verb: String, origin: String, missing: String = "") async throws(ManagerError) {
        let appKey = DocumentKey(kind: .app, name: app)
        let stored: StoredDocument?
        do {
            stored = try await store.read(appKey)
        } catch {
            throw Self.map(error)
        }
        guard let stored else { throw ManagerError(.notFound, "\(appKey) does not exist\(missing)") }
        try await authorizeAppAction(stored, verb: verb, source: origin)
    }

    /// Asks the builder to stop a build (its members and admins may); a build already over is
    /// left as it is.
    public func cancelBuild(_ id: String, origin: String = "cli") async throws(ManagerError) -> BuildView {
        for _ in 1...Self.attempts {
            do {
                guard let (view, version) = try await readBuild(id) else {
                    throw ManagerError(.notFound, "no build \(id); see `atlantis builds APP`")
                }
                guard let appStored = try await store.read(DocumentKey(kind: .app, name: view.request.app)) else {
                    throw ManagerError(.notFound, "App \"\(view.request.app)\" does not exist")
                }
                try await authorizeAppAction(appStored, verb: "cancel-build", source: origin)
                if view.status?.phase.isFinal == true || view.request.cancel == true { return view }
                var request = view.request
                request.cancel = true
                var record = AuditRecord(
                    time: Timestamp.string(Date()),
                    source: origin,
                    action: "cancel-build",
                    caller: auditCaller,
                    apps: [request.app],
                    changes: []
                )
                record.changes = nil
                record.build = id
                try await store.zk.multi([
                    .setData(path: store.tree.build(id), data: try Self.payload(request), version: version),
                    .create(
                        path: store.tree.auditRecordPrefix,
                        data: try Self.payload(record),
                        mode: .persistentSequential,
                        acl: store.desiredACL
                    ),
                ])
                return BuildView(id: id, request: request, status: view.status)
            } catch let error as ZooKeeperError where Self.isRace(error) {
                continue
            } catch let error as ManagerError {
                throw error
            } catch {
                throw Self.map(error)
            }
        }
        throw ManagerError(.conflict, "build \(id) kept changing while it was cancelled; try again")
    }

    /// One build, nil when there is none.
    public func build(_ id: String) async throws(ManagerError) -> BuildView? {
        do {
            return try await readBuild(id)?.view
        } catch let error as ManagerError {
            throw error
        } catch {
            throw Self.map(error)
        }
    }

    /// An app's builds, newest first (or every app's when `app` is nil), at most `limit`.
    public func builds(app: String?, limit: Int = 50) async throws(ManagerError) -> [BuildView] {
        do {
            let ids: [String]
            do {
                ids = try await store.zk.children(store.tree.builds).sorted(by: >)
            } catch let error as ZooKeeperError where error.code == .noNode {
                return []
            }
            var views: [BuildView] = []
            for id in ids {
                guard views.count < limit else { break }
                guard let (view, _) = try await readBuild(id), app == nil || view.request.app == app else { continue }
                views.append(view)
            }
            return views
        } catch let error as ManagerError {
            throw error
        } catch {
            throw Self.map(error)
        }
    }

    private func readBuild(_ id: String) async throws -> (view: BuildView, version: Int32)? {
        guard BuildRequest.isValidID(id) else {
            throw ManagerError(
                .invalidInput,
                "\"\(id)\" is not a build id (b-<time>-<hex>, as `atlantis builds` lists)"
            )
        }
        let data: [UInt8]
        let stat: Stat
        do {
            (data, stat) = try await store.zk.getData(store.tree.build(id))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
        let request = try Payload.decode(BuildRequest.self, from: data, path: store.tree.build(id))
        var status: BuildStatus?
        if let (statusData, _) = try? await store.zk.getData(store.tree.buildStatus(id)) {
            status = try? Payload.decode(BuildStatus.self, from: statusData, path: store.tree.buildStatus(id))
        }
        return (BuildView(id: id, request: request, status: status), stat.version)
    }

    /// What a source must be before a build is written for it.
    func check(_ source: BuildSource) throws(ManagerError) {
        switch (source.archive, source.git) {
        case (let archive?, nil):
            guard archive.digest.hasPrefix("sha256:"), archive.digest.count == 71,
                archive.digest.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else {
                throw ManagerError(
                    .invalidInput,
                    "source.archive.digest must be sha256:<64 hex>, as the upload returned"
                )
            }
        case (nil, let git?):
            let schemes = ["http://", "https://", "git://", "file://", "/"]
            guard schemes.contains(where: { git.url.hasPrefix($0) }), !git.url.contains(where: \.isWhitespace),
                git.url.count <= 1024, !git.url.hasPrefix("-")
            else {
                throw ManagerError(
                    .invalidInput,
                    "source.git.url must be an http(s)://, git:// or file:// URL or an absolute path, not \"\(git.url.prefix(80))\""
                )
            }
            for (field, value) in [("ref", git.ref), ("path", git.path)] {
                guard let value else { continue }
                guard !value.isEmpty, value.count <= 256, !value.hasPrefix("-"), !value.hasPrefix("/"),
                    !value.split(separator: "/").contains(".."),
                    value.allSatisfy({ $0.isLetter || $0.isNumber || "._/-".contains($0) })
                else {
                    throw ManagerError(
                        .invalidInput,
                        "source.git.\(field) \"\(value.prefix(80))\" is not a ref or a path in the repository"
                    )
                }
            }
        default:
            throw ManagerError(
                .invalidInput,
                "a build's source is either an uploaded archive or a git repository, not both or neither"
            )
        }
    }
}
