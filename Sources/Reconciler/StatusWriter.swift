public import Foundation
public import ZKModel
public import ZooKeeper

/// Writes status znodes for one reconciler. Keeps `lastTransitionTime` while a condition's status
/// does not change, and skips writes that would change nothing.
public struct StatusWriter: Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let reconciler: String

    public init(zk: ZooKeeperClient, tree: ZNodeTree, reconciler: String) {
        self.zk = zk
        self.tree = tree
        self.reconciler = reconciler
    }

    public func read(_ key: DocumentKey) async throws -> ObjectStatus? {
        try await Self.read(key, zk: zk, tree: tree)
    }

    /// The status last written for `key`; nil if none yet.
    public static func read(_ key: DocumentKey, zk: ZooKeeperClient, tree: ZNodeTree) async throws -> ObjectStatus? {
        do {
            let (data, _) = try await zk.getData(tree.status(key))
            return try Payload.decode(ObjectStatus.self, from: data, path: tree.status(key))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Writes the status of `key` as observed at `generation`.
    public func delete(_ key: DocumentKey) async throws {
        do {
            try await zk.delete(tree.status(key))
        } catch let error as ZooKeeperError where error.code == .noNode {}
    }

    public func write(
        _ key: DocumentKey,
        observedGeneration: Int,
        conditions: [ObjectStatus.Condition],
        lastError: String? = nil,
        rollout: ObjectStatus.Rollout? = nil,
        now: Date = Date()
    ) async throws {
        let previous = try? await read(key)
        let stamp = ISO8601DateFormatter().string(from: now)
        let merged = conditions.map { condition -> ObjectStatus.Condition in
            var c = condition
            if let old = previous?.condition(c.type), old.status == c.status, !old.lastTransitionTime.isEmpty {
                c.lastTransitionTime = old.lastTransitionTime
            } else {
                c.lastTransitionTime = stamp
            }
            return c
        }
        let status = ObjectStatus(
            observedGeneration: observedGeneration,
            reconciler: reconciler,
            conditions: merged,
            lastError: lastError,
            rollout: rollout
        )
        if status == previous { return }
        try await zk.upsert(tree.status(key), data: try Payload.encode(status))
    }
}
