import Foundation
import Logging
import ZKModel
import ZooKeeper

extension Manager {
    /// Records a finished build once: an audit record (`built`: the commit and the digest, or
    /// the failure) and, for a Deploy's own build that succeeded, the Deploy's new release, in
    /// one transaction with the request marked `recorded`. Returns whether it wrote anything.
    @discardableResult
    public func recordBuildOutcome(_ id: String) async throws(ManagerError) -> Bool {
        for _ in 1...Self.attempts {
            do {
                let path = store.tree.build(id)
                let (data, stat) = try await store.zk.getData(path)
                var request = try Payload.decode(BuildRequest.self, from: data, path: path)
                guard request.recorded != true else { return false }
                let (statusData, _) = try await store.zk.getData(store.tree.buildStatus(id))
                let status = try Payload.decode(BuildStatus.self, from: statusData, path: store.tree.buildStatus(id))
                guard status.phase.isFinal else { return false }
                request.recorded = true
                let now = Date()
                var record = AuditRecord(
                    time: Timestamp.string(now),
                    source: "builder",
                    action: "built",
                    caller: request.requestedBy,
                    apps: [request.app],
                    changes: []
                )
                record.changes = nil
                record.build = id
                record.commit = status.provenance?.commit
                record.image = status.image
                record.deploy = request.deploy
                record.reason =
                    status.phase == .succeeded
                    ? nil : String("\(status.phase.rawValue): \(status.message ?? "")".prefix(512))
                var ops: [ZooKeeper.Operation] = [
                    .setData(path: path, data: try Self.payload(request), version: stat.version),
                    .create(
                        path: store.tree.auditRecordPrefix,
                        data: try Self.payload(record),
                        mode: .persistentSequential,
                        acl: store.desiredACL
                    ),
                ]
                if status.phase == .succeeded, let image = status.image, let deploy = request.deploy {
                    ops += try await releaseOperations(
                        forBuilt: image,
                        status: status,
                        deploy: deploy,
                        build: id,
                        now: now
                    )
                }
                try await store.zk.multi(ops)
                logger.info(
                    "manager.build_recorded",
                    metadata: ["build": "\(id)", "phase": "\(status.phase)", "image": "\(status.image ?? "")"]
                )
                return true
            } catch let error as ZooKeeperError where error.code == .noNode {
                return false
            } catch let error as ZooKeeperError where Self.isRace(error) {
                continue
            } catch let error as ManagerError {
                throw error
            } catch {
                throw Self.map(error)
            }
        }
        return false
    }

    /// The writes that release `image` for `deploy` when it still builds from source (a Deploy
    /// changed to an image since is left alone): its App's port, env and health check win over
    /// what the build config said.
    private func releaseOperations(
        forBuilt image: String,
        status: BuildStatus,
        deploy: String,
        build: String,
        now: Date
    ) async throws -> [ZooKeeper.Operation] {
        let deployKey = DocumentKey(kind: .deploy, name: deploy)
        guard let stored = try await store.read(deployKey),
            let spec = try? stored.document.decodeSpec(DeploySpec.self), spec.build != nil,
            let appStored = try await store.read(DocumentKey(kind: .app, name: spec.app))
        else { return [] }
        let state = try await store.releaseState(deploy)
        let secrets = try await secrets(app: spec.app, environment: spec.environment)?.set.revision
        guard
            var release = ReleasePlanner().content(
                deploy: deploy,
                after: [deployKey: stored.document, appStored.document.key: appStored.document],
                number: (state?.pointer.latest ?? 0) + 1,
                cause: "build \(build)",
                secrets: secrets,
                built: image,
                now: now
            )
        else { return [] }
        release.healthCheck = release.healthCheck ?? status.healthCheck
        if let current = state?.release, current.sameContent(as: release) { return [] }
        var ops = try releaseOperations(
            [.init(release: release, pointerVersion: state?.pointerVersion, from: state?.pointer.current)],
            source: "builder"
        )
        ops.append(.check(path: store.tree.desired(stored.document.key), version: stored.version))
        return ops
    }

    /// Asks for a build of a Deploy's `build:` source at `commit` (a ref that moved, or
    /// `atlantis build --trigger`), unless one for that commit was already asked for.
    /// Returns the build's id, nil when none was needed.
    @discardableResult
    public func triggerDeployBuild(
        deploy: String,
        commit: String?,
        requestedBy: String
    ) async throws(ManagerError) -> String? {
        let stored: StoredDocument?
        do {
            stored = try await store.read(DocumentKey(kind: .deploy, name: deploy))
        } catch {
            throw Self.map(error)
        }
        guard let stored, let spec = try? stored.document.decodeSpec(DeploySpec.self) else {
            throw ManagerError(.notFound, "Deploy \"\(deploy)\" does not exist")
        }
        guard let build = spec.build else {
            throw ManagerError(
                .invalidInput,
                "Deploy \"\(deploy)\" runs an image, not a build: it has no build.git to build"
            )
        }
        if let commit {
            let earlier = try await builds(app: spec.app, limit: 200)
            if earlier.contains(where: { $0.request.deploy == deploy && $0.request.commit == commit }) { return nil }
        }
        return try await requestBuild(
            app: spec.app,
            source: BuildSource(git: build.source),
            deploy: deploy,
            requestedBy: requestedBy,
            origin: "builder",
            commit: commit
        )
    }
}
