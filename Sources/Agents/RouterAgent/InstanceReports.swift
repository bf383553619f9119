import Logging
import Synchronization
import ZooKeeper

/// What a router keeps of each instance report: its routing fields, packed (`ParsedReport`'s
/// compact bytes), parsed once, as the cache reads the version. The cache holds them and nothing
/// else does: a table build reads each report from the cache as a view of those bytes (a store of
/// parsed reports beside it was ~7 MiB at 50,000 reports).
///
/// A version that does not parse (written behind the supervisors' back) does not take its
/// instance out: its last valid fields stay, under the new version's stat, and the error is
/// reported until a valid version comes or the node goes. A report that never parsed is kept
/// as nothing (no bytes): routed by no one. Of each version's stat only its data version and
/// `mzxid` are kept (`Stat.versionsOnly`): routing reads no other field.
final class InstanceReports: Sendable {
    private let errors = Mutex<[String: (mzxid: Int64, error: String)]>([:])
    let folder: String
    let logger: Logger

    init(folder: String, logger: Logger) {
        self.folder = folder
        self.logger = logger
    }

    /// What the cache stores of `node`, given what it stores now.
    func keep(_ key: String, _ node: NodeSnapshot, stored: NodeSnapshot?) -> NodeSnapshot {
        let mzxid = node.stat.mzxid
        do {
            let report = try RouterAgent.report(node.data)
            errors.withLock { errors in
                // An older version read late (the cache drops it) does not clear a newer error.
                if let known = errors[key], known.mzxid <= mzxid { errors[key] = nil }
            }
            return NodeSnapshot(data: report.bytes, stat: node.stat.versionsOnly)
        } catch {
            let last = stored.flatMap { ParsedReport.isCompact($0.data) ? $0.data : nil }
            errors.withLock { errors in
                if (errors[key]?.mzxid ?? .min) <= mzxid { errors[key] = (mzxid, "\(error)") }
            }
            UnreadableNode(key: key, error: "\(error)", keptPrevious: last != nil).warn(in: folder, logger: logger)
            return NodeSnapshot(data: last ?? [], stat: node.stat.versionsOnly)
        }
    }

    /// The routing fields of a report as the cache keeps it; nil when no version of it parsed.
    static func report(_ data: [UInt8]) -> ParsedReport? {
        guard ParsedReport.isCompact(data) else { return nil }
        return try? ParsedReport(compact: data)
    }

    /// The reports whose newest version does not parse (key → why), of those `present` still
    /// (the others are forgotten).
    func unreadable(present: (String) -> Bool) -> [String: String] {
        errors.withLock { errors in
            errors = errors.filter { present($0.key) }
            return errors.mapValues(\.error)
        }
    }
}
