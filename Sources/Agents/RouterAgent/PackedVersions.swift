import Logging
import Synchronization
import ZooKeeper

/// What a router's cache keeps of each version of a node it reads many of (instance reports,
/// Routes): the fields routing reads, packed, made as the version is read. A version that does
/// not read (written behind the manager's or the supervisors' back) keeps the last packed one
/// under its own stat, and is reported until a version that reads comes or the node goes; a node
/// no version of which read is kept as nothing (no bytes). Of each stat only its data version and
/// `mzxid` are kept (`Stat.versionsOnly`): routing reads no other field.
final class PackedVersions: Sendable {
    private let errors = Mutex<[String: (mzxid: Int64, error: String)]>([:])
    let folder: String
    let logger: Logger
    /// A version's packed fields, or why it does not read.
    private let pack: @Sendable ([UInt8]) throws -> [UInt8]
    /// Whether stored bytes are packed fields (not nothing).
    private let isPacked: @Sendable ([UInt8]) -> Bool

    init(
        folder: String,
        logger: Logger,
        pack: @escaping @Sendable ([UInt8]) throws -> [UInt8],
        isPacked: @escaping @Sendable ([UInt8]) -> Bool
    ) {
        self.folder = folder
        self.logger = logger
        self.pack = pack
        self.isPacked = isPacked
    }

    /// What the cache stores of `node`, given what it stores now.
    func keep(_ key: String, _ node: NodeSnapshot, stored: NodeSnapshot?) -> NodeSnapshot {
        let mzxid = node.stat.mzxid
        do {
            let packed = try pack(node.data)
            errors.withLock { errors in
                // An older version read late (the cache drops it) does not clear a newer error.
                if let known = errors[key], known.mzxid <= mzxid { errors[key] = nil }
            }
            return NodeSnapshot(data: packed, stat: node.stat.versionsOnly)
        } catch {
            let last = stored.flatMap { isPacked($0.data) ? $0.data : nil }
            errors.withLock { errors in
                if (errors[key]?.mzxid ?? .min) <= mzxid { errors[key] = (mzxid, "\(error)") }
            }
            UnreadableNode(key: key, error: "\(error)", keptPrevious: last != nil).warn(in: folder, logger: logger)
            return NodeSnapshot(data: last ?? [], stat: node.stat.versionsOnly)
        }
    }

    /// The nodes whose newest version does not read (key → why), of those `present` still (the
    /// others are forgotten).
    func unreadable(present: (String) -> Bool) -> [String: String] {
        errors.withLock { errors in
            errors = errors.filter { present($0.key) }
            return errors.mapValues(\.error)
        }
    }
}
