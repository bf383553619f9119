import Foundation
import Synchronization
import ZKModel
import ZooKeeper

/// Writes `<root>/status/instances/<id>` for this supervisor's instances, skipping writes that
/// change nothing (the status znode is read once per instance, after that the last write is
/// remembered).
final class InstanceStatusStore: Sendable {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    private let written = Mutex([String: InstanceStatus]())

    init(zk: ZooKeeperClient, tree: ZNodeTree) {
        self.zk = zk
        self.tree = tree
    }

    func path(_ instance: String) -> String { tree.instanceStatus(instance) }

    /// The status last written for `instance` (from ZooKeeper the first time).
    func current(_ instance: String) async throws -> InstanceStatus? {
        if let known = written.withLock({ $0[instance] }) { return known }
        do {
            let (data, _) = try await zk.getData(path(instance))
            let status = try? Payload.decode(InstanceStatus.self, from: data, path: path(instance))
            if let status { written.withLock { $0[instance] = $0[instance] ?? status } }
            return status
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Writes `status` stamped with this process's session: after a session renewal every status
    /// is written again, and only then counts (see `InstanceStatus.isCurrent`).
    func write(_ status: InstanceStatus, instance: String) async throws {
        var status = status
        status.session = InstanceStatus.session(zk.sessionID)
        if written.withLock({ $0[instance] }) == status { return }
        try await zk.upsert(path(instance), data: try Payload.encode(status))
        written.withLock { $0[instance] = status }
    }

    func delete(_ instance: String) async throws {
        do {
            try await zk.delete(path(instance))
        } catch let error as ZooKeeperError where error.code == .noNode {}
        _ = written.withLock { $0.removeValue(forKey: instance) }
    }
}
