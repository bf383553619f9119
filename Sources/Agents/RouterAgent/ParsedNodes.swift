import Logging
import Synchronization

/// Cached znodes, each parsed once per version (its `mzxid`): a table rebuild parses and validates
/// only the nodes that changed since the last one, so one Route changed among 10,000 is one parse.
/// A version that does not parse (a document written behind the manager's back) does not take
/// the node out: its last valid version is kept, and the error is reported until it is fixed.
final class ParsedNodes<Value: Sendable>: Sendable {
    /// A class: the dictionary of entries has twice as many buckets as entries, and a parsed
    /// value inline made each bucket as large as the value (45 MiB at 50,000 instance reports,
    /// when they were kept here too; they are read from their cache now, `InstanceReports`).
    private final class Entry: Sendable {
        let mzxid: Int64
        /// The last version that parsed; nil when none ever did.
        let value: Value?
        /// Why the version at `mzxid` does not parse, when it does not.
        let error: String?

        init(mzxid: Int64, value: Value?, error: String?) {
            self.mzxid = mzxid
            self.value = value
            self.error = error
        }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// The entries with an error, apart: the report asks for them on every build.
        var errors: [String: String] = [:]
    }

    private let entries = Mutex(State())
    private let parse: @Sendable ([UInt8]) throws -> Value

    init(parse: @escaping @Sendable ([UInt8]) throws -> Value) {
        self.parse = parse
    }

    /// The parsed values of `nodes` (each with its `mzxid`), in their order: for a node whose
    /// version does not parse, its last valid one, or nothing if it never had one. Keys not in
    /// `nodes` are forgotten. `failed` gets the nodes whose version did not parse, the first time
    /// each version is seen.
    func values(
        _ nodes: [(key: String, mzxid: Int64, data: [UInt8])],
        failed: (UnreadableNode) -> Void = { _ in }
    ) -> [Value] {
        keyedValues(nodes, failed: failed).map(\.value)
    }

    /// `values`, each with its node's key.
    func keyedValues(
        _ nodes: [(key: String, mzxid: Int64, data: [UInt8])],
        failed: (UnreadableNode) -> Void = { _ in }
    ) -> [(key: String, value: Value)] {
        var fresh: [UnreadableNode] = []
        let values = entries.withLock { state in
            // Changed in place: at 50,000 nodes with one changed, a new dictionary per call was
            // most of the cost.
            var values: [(key: String, value: Value)] = []
            values.reserveCapacity(nodes.count)
            for (key, mzxid, data) in nodes {
                if let old = state.entries[key], old.mzxid == mzxid {
                    if let value = old.value { values.append((key, value)) }
                    continue
                }
                let (value, unreadable) = store(key, mzxid: mzxid, data: data, in: &state)
                if let unreadable { fresh.append(unreadable) }
                if let value { values.append((key, value)) }
            }
            // Keys no longer among the nodes are forgotten (a count tells whether there are any).
            if state.entries.count > nodes.count {
                let present = Set(nodes.map(\.key))
                for key in state.entries.keys where !present.contains(key) {
                    state.entries[key] = nil
                    state.errors[key] = nil
                }
            }
            return values
        }
        fresh.forEach(failed)
        return values
    }

    /// One node after it changed (`node` nil: deleted): its value as `keyedValues` would give
    /// it (the last valid one when this version does not parse), without looking at the others.
    func update(
        _ key: String,
        node: (mzxid: Int64, data: [UInt8])?,
        failed: (UnreadableNode) -> Void = { _ in }
    ) -> Value? {
        var fresh: UnreadableNode?
        let value = entries.withLock { state -> Value? in
            guard let node else {
                state.entries[key] = nil
                state.errors[key] = nil
                return nil
            }
            if let old = state.entries[key], old.mzxid == node.mzxid { return old.value }
            let (value, unreadable) = store(key, mzxid: node.mzxid, data: node.data, in: &state)
            fresh = unreadable
            return value
        }
        fresh.map(failed)
        return value
    }

    /// Parses a new version of `key` and keeps it: its value (the last valid one when this
    /// version does not parse), and the node as unreadable when it does not.
    private func store(
        _ key: String,
        mzxid: Int64,
        data: [UInt8],
        in state: inout State
    ) -> (Value?, UnreadableNode?) {
        let entry: Entry
        var unreadable: UnreadableNode?
        do {
            entry = Entry(mzxid: mzxid, value: try parse(data), error: nil)
        } catch {
            let kept = state.entries[key]?.value
            entry = Entry(mzxid: mzxid, value: kept, error: "\(error)")
            unreadable = UnreadableNode(key: key, error: "\(error)", keptPrevious: kept != nil)
        }
        state.entries[key] = entry
        state.errors[key] = entry.error
        return (entry.value, unreadable)
    }

    /// Every node whose newest version does not parse, by key.
    func unreadable() -> [String: String] {
        entries.withLock { $0.errors }
    }
}

/// A node whose newest version does not parse.
struct UnreadableNode: Sendable, Hashable {
    var key: String
    var error: String
    /// Whether a last valid version is still used in its place.
    var keptPrevious: Bool

    /// Says so in the router's log (`folder`: where the node is).
    func warn(in folder: String, logger: Logger) {
        logger.warning(
            "router.document_unreadable",
            metadata: [
                "path": "\(folder)/\(key)", "error": "\(error)",
                "serving": "\(keptPrevious ? "its last valid version" : "nothing for it (no valid version seen)")",
            ]
        )
    }
}
