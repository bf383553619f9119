import Synchronization

/// Cached znodes, each parsed once per version (its `mzxid`): a table rebuild parses and validates
/// only the nodes that changed since the last one, so one Route changed among 10,000 is one parse.
final class ParsedNodes<Value: Sendable>: Sendable {
    private struct Entry {
        let mzxid: Int64
        /// nil: the node did not parse (it is left out of the table, as before it was cached).
        let value: Value?
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let parse: @Sendable ([UInt8]) -> Value?

    init(parse: @escaping @Sendable ([UInt8]) -> Value?) {
        self.parse = parse
    }

    /// The parsed values of `nodes` (each with its `mzxid`), in their order, without those that do
    /// not parse. Keys not in `nodes` are forgotten.
    func values(_ nodes: [(key: String, mzxid: Int64, data: [UInt8])]) -> [Value] {
        entries.withLock { entries in
            var next: [String: Entry] = [:]
            next.reserveCapacity(nodes.count)
            for (key, mzxid, data) in nodes {
                if let old = entries[key], old.mzxid == mzxid {
                    next[key] = old
                } else {
                    next[key] = Entry(mzxid: mzxid, value: parse(data))
                }
            }
            entries = next
            return nodes.compactMap { next[$0.key]?.value }
        }
    }
}
