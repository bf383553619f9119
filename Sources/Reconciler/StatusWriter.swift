public import Foundation
public import ZKModel
public import ZooKeeper

/// Writes status znodes for one reconciler. Keeps `lastTransitionTime` while a condition's status
/// does not change, and skips writes that would change nothing.
public struct StatusWriter: Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    public let reconciler: String
    /// A leader's writes are fenced like its other writes: a deposed leader writes no status.
    public let fence: LeaderElection.Leadership?
    /// What this writer's owner wrote last, per key: the previous status without a read of
    /// ZooKeeper (a leader is the only writer of its statuses while it leads).
    public let memory: StatusMemory?

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        reconciler: String,
        fence: LeaderElection.Leadership? = nil,
        memory: StatusMemory? = nil
    ) {
        self.zk = zk
        self.tree = tree
        self.reconciler = reconciler
        self.fence = fence
        self.memory = memory
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

    /// Deletes the status of `key` (no error if there is none).
    public func delete(_ key: DocumentKey) async throws {
        do {
            memory?.forget(key)
            if let fence {
                try await fence.multi([.delete(path: tree.status(key), version: -1)])
            } else {
                try await zk.delete(tree.status(key))
            }
        } catch let error as ZooKeeperError where error.code == .noNode && error.failedOperationIndex != 0 {}
    }

    /// Writes the status of `key` as observed at `observedGeneration`.
    public func write(
        _ key: DocumentKey,
        observedGeneration: Int,
        conditions: [ObjectStatus.Condition],
        lastError: String? = nil,
        rollout: ObjectStatus.Rollout? = nil,
        now: Date = Date()
    ) async throws {
        var previous = memory?.status(key)
        if previous == nil { previous = try? await read(key) }
        let stamp = Timestamp.string(now)
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
        if status == previous {
            memory?.remember(status, for: key)
            return
        }
        let path = tree.status(key)
        let data = try Payload.encode(status)
        // Forgotten until the write is known to be done (a failed write is read again next time).
        memory?.forget(key)
        try await store(data, at: path, kind: key.kind)
        memory?.remember(status, for: key)
    }

    private func store(_ data: [UInt8], at path: String, kind: Kind) async throws {
        guard let fence else { return try await zk.upsert(path, data: data) }
        do {
            try await fence.multi([.setData(path: path, data: data, version: -1)])
        } catch let error as ZooKeeperError where error.code == .noNode && error.failedOperationIndex == 1 {
            try await zk.ensurePath(tree.status(kind))
            try await fence.multi([.create(path: path, data: data)])
        }
    }
}
