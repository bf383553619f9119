import Reconciler
import Synchronization
import ZooKeeper

/// The nodes of a watched folder, each decoded once per version (its `mzxid`): a reconcile that
/// looks at every placement (capacity) decodes only those that changed since the last one, so its
/// cost does not grow with the JSON of every other Deploy.
final class DecodedNodes<Value: Sendable>: Sendable {
    let cache: ZNodeCache
    private let decode: @Sendable (_ key: String, _ data: [UInt8]) -> Value?
    private let entries = Mutex<[String: (mzxid: Int64, value: Value?)]>([:])

    init(_ cache: ZNodeCache, decode: @escaping @Sendable (_ key: String, _ data: [UInt8]) -> Value?) {
        self.cache = cache
        self.decode = decode
    }

    /// The node of `key` decoded; nil when it is not there or does not decode.
    func value(_ key: String) -> Value? {
        guard let node = cache.snapshot(key) else {
            _ = entries.withLock { $0.removeValue(forKey: key) }
            return nil
        }
        if let known = entries.withLock({ $0[key] }), known.mzxid == node.stat.mzxid { return known.value }
        let value = decode(key, node.data)
        entries.withLock { $0[key] = (node.stat.mzxid, value) }
        return value
    }

    /// Every node that decodes, by key; those gone from the folder are forgotten.
    func all() -> [(key: String, value: Value)] {
        let keys = cache.allKeys()
        let present = Set(keys)
        entries.withLock { entries in
            if entries.count > present.count { entries = entries.filter { present.contains($0.key) } }
        }
        return keys.compactMap { key in value(key).map { (key, $0) } }
    }
}
