import Foundation
import Logging
public import ZKModel
import ZooKeeper

extension Manager {
    /// What a change of secrets wrote.
    public struct SecretsWritten: Sendable, Hashable {
        public var revision: Int
        public var names: [String]
        /// The Deploy of the environment and the release that rolls the change out, if any.
        public var deploy: String?
        public var release: Int?
    }

    /// The environment's secrets as stored (sealed), and the node's version.
    public func secrets(
        app: String,
        environment: String
    ) async throws(ManagerError) -> (set: SecretSet, version: Int32)? {
        let path = store.tree.secrets(app: app, environment: environment)
        do {
            let (data, stat) = try await store.zk.getData(path)
            return (try Payload.decode(SecretSet.self, from: data, path: path), stat.version)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        } catch {
            throw Self.map(error)
        }
    }

    /// Changes an environment's secrets (`change` gets the stored set, nil at first, and
    /// returns the new entries) and, when the environment has a Deploy with a release, makes a
    /// new release with the new revision: the change rolls out like an image change. One
    /// transaction, with an audit record that names the secrets, never their values.
    public func changeSecrets(
        app: String,
        environment: String,
        source: String = "cli",
        summary: String,
        change: ([String: String]) throws(ManagerError) -> [String: String],
        keyID: String
    ) async throws(ManagerError) -> SecretsWritten {
        let appKey = DocumentKey(kind: .app, name: app)
        for _ in 1...Self.attempts {
            do {
                guard let appStored = try await store.read(appKey) else {
                    throw ManagerError(.notFound, "\(appKey) does not exist")
                }
                try await authorizeAppAction(appStored, verb: "secrets", source: source)
                let current = try await secrets(app: app, environment: environment)
                let entries = try change(current?.set.entries ?? [:])
                guard entries.count <= SecretSet.maxEntries else {
                    throw ManagerError(.invalidInput, "at most \(SecretSet.maxEntries) secrets per environment")
                }
                let now = Timestamp.string(Date())
                let revision = (current?.set.revision ?? 0) + 1
                let set = SecretSet(
                    app: app,
                    environment: environment,
                    revision: revision,
                    keyID: keyID,
                    entries: entries,
                    updated: now
                )
                let path = store.tree.secrets(app: app, environment: environment)
                try await store.zk.ensurePath(store.tree.secrets(app: app), acl: store.privateACL)
                let bytes = try Self.payload(set)
                var ops: [ZooKeeper.Operation] = [
                    current.map { .setData(path: path, data: bytes, version: $0.version) }
                        ?? .create(path: path, data: bytes, acl: store.privateACL)
                ]
                var written = SecretsWritten(revision: revision, names: entries.keys.sorted())
                if let deploy = try await deploy(app: app, environment: environment),
                    let state = try await store.releaseState(deploy.document.name), var release = state.release
                {
                    release.number = state.pointer.latest + 1
                    release.secrets = revision
                    release.createdAt = now
                    release.cause = "secrets by \(source)"
                    ops += try releaseOperations(
                        [.init(release: release, pointerVersion: state.pointerVersion, from: state.pointer.current)],
                        source: source
                    )
                    // The Deploy must not have moved since its release was read.
                    ops.append(.check(path: store.tree.desired(deploy.document.key), version: deploy.version))
                    written.deploy = deploy.document.name
                    written.release = release.number
                }
                var record = AuditRecord(
                    time: now,
                    source: source,
                    action: "secrets",
                    caller: auditCaller,
                    apps: [app],
                    changes: []
                )
                record.changes = nil
                record.reason = String("\(environment): \(summary)".prefix(512))
                ops.append(
                    .create(
                        path: store.tree.auditRecordPrefix,
                        data: try Self.payload(record),
                        mode: .persistentSequential,
                        acl: store.desiredACL
                    )
                )
                try await store.zk.multi(ops)
                logger.info("manager.secrets", metadata: ["app": "\(app)", "environment": "\(environment)"])
                return written
            } catch let error as ZooKeeperError where Self.isRace(error) {
                try? await Task.sleep(for: .milliseconds(Int64.random(in: 5...40)))
                continue
            } catch let error as ManagerError {
                throw error
            } catch {
                throw Self.map(error)
            }
        }
        throw ManagerError(
            .conflict,
            "the secrets of \(app)/\(environment) kept changing; nothing was written: run it again"
        )
    }
}
