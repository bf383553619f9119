public import OrderedCollections

/// A dictionary for tens of thousands of small entries, in about half the memory of `Dictionary`:
/// keys and values in two arrays and a hash table of indices packed to a few bits each
/// (`OrderedDictionary`), where a `Dictionary` keeps a key and a value slot in every bucket and
/// has up to 2.7 buckets per entry (it doubles at three quarters full: 50,000 entries take
/// 131,072). Order is not kept: a removal moves the last entry into the hole, O(1) (an
/// `OrderedDictionary` removal shifts every later entry).
public struct DenseDictionary<Key: Hashable, Value> {
    private var storage: OrderedDictionary<Key, Value>

    public init() { storage = [:] }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// The keys, in no particular order.
    public var keys: OrderedSet<Key> { storage.keys }

    /// The values, in the order of `keys`.
    public var values: OrderedDictionary<Key, Value>.Values { storage.values }

    /// Room for `capacity` entries without growing.
    public mutating func reserveCapacity(_ capacity: Int) { storage.reserveCapacity(capacity) }

    /// A value, or nil; setting nil removes the entry.
    public subscript(key: Key) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                storage[key] = newValue
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Removes `key`'s entry (the last one takes its place) and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard let index = storage.index(forKey: key) else { return nil }
        let last = storage.count - 1
        if index != last { storage.swapAt(index, last) }
        return storage.removeLast().value
    }
}

extension DenseDictionary: Sequence {
    public func makeIterator() -> OrderedDictionary<Key, Value>.Iterator { storage.makeIterator() }
    public var underestimatedCount: Int { storage.count }
}

extension DenseDictionary: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (Key, Value)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}

extension DenseDictionary: Sendable where Key: Sendable, Value: Sendable {}
extension DenseDictionary: Equatable where Value: Equatable {
    /// The same entries, whatever their order.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.storage.allSatisfy { rhs.storage[$0.key] == $0.value }
    }
}
