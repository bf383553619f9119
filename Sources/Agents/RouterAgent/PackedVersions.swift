import Logging
import Synchronization
import ZooKeeper

/// What a router's cache keeps of each version of a node it reads many of (instance reports,
/// Routes): the fields routing reads, packed, made as the version is read. A version that does
/// not read (written behind the manager's or the supervisors' back) keeps the last packed one
/// under its own stat, and is reported until a version that reads comes or the node goes; a node
/// no version of which read is kept as nothing (no bytes). Of each stat only its data version and
/// `mzxid` are kept (`Stat.versionsOnly`): routing reads no other field; they are written into the
/// packed bytes (after byte 0, which is 0: `versionsAt`), so the cache holds the bytes alone
/// (`ZNodeCache.packedStat`).
final class PackedVersions: Sendable {
    private let errors = Mutex<[String: (mzxid: Int64, error: String)]>([:])
    let folder: String
    let logger: Logger
    /// A version's packed fields (byte 0 is 0, then room for the versions), or why it does not read.
    private let pack: @Sendable ([UInt8]) throws -> [UInt8]

    init(folder: String, logger: Logger, pack: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.folder = folder
        self.logger = logger
        self.pack = pack
    }

    /// What the cache stores of `node`, given what it stores now.
    func keep(_ key: String, _ node: NodeSnapshot, stored: NodeSnapshot?) -> NodeSnapshot {
        let mzxid = node.stat.mzxid
        do {
            var packed = try pack(node.data)
            Self.stamp(&packed, with: node.stat)
            errors.withLock { errors in
                // An older version read late (the cache drops it) does not clear a newer error.
                if let known = errors[key], known.mzxid <= mzxid { errors[key] = nil }
            }
            return NodeSnapshot(data: packed, stat: node.stat.versionsOnly)
        } catch {
            var last = stored.flatMap { Self.stat(of: $0.data) != nil ? $0.data : nil }
            if last != nil { Self.stamp(&last!, with: node.stat) }
            errors.withLock { errors in
                if (errors[key]?.mzxid ?? .min) <= mzxid { errors[key] = (mzxid, "\(error)") }
            }
            UnreadableNode(key: key, error: "\(error)", keptPrevious: last != nil).warn(in: folder, logger: logger)
            return NodeSnapshot(data: last ?? [], stat: node.stat.versionsOnly)
        }
    }

    /// Where packed bytes hold their version's `mzxid` (8 bytes) and data version (4), little-endian.
    static let versionsAt = 1
    static let versionsEnd = versionsAt + 12

    /// Writes `stat`'s `mzxid` and data version into packed bytes.
    static func stamp(_ bytes: inout [UInt8], with stat: Stat) {
        guard bytes.count >= versionsEnd else { return }
        let mzxid = UInt64(bitPattern: stat.mzxid)
        let version = UInt32(bitPattern: stat.version)
        for i in 0..<8 { bytes[versionsAt + i] = UInt8(truncatingIfNeeded: mzxid >> (8 * UInt64(i))) }
        for i in 0..<4 { bytes[versionsAt + 8 + i] = UInt8(truncatingIfNeeded: version >> (8 * UInt32(i))) }
    }

    /// The stat packed bytes hold (`ZNodeCache.packedStat`); nil for bytes that are not packed.
    @Sendable static func stat(of bytes: [UInt8]) -> Stat? {
        guard bytes.count >= versionsEnd, bytes[0] == 0 else { return nil }
        var mzxid: UInt64 = 0
        var version: UInt32 = 0
        for i in 0..<8 { mzxid |= UInt64(bytes[versionsAt + i]) << (8 * UInt64(i)) }
        for i in 0..<4 { version |= UInt32(bytes[versionsAt + 8 + i]) << (8 * UInt32(i)) }
        var stat = Stat.zero
        stat.mzxid = Int64(bitPattern: mzxid)
        stat.version = Int32(bitPattern: version)
        return stat
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
