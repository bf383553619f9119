/// The deadlines of one loop's scheduled tasks, earliest first (a binary min-heap). A cancelled
/// task's entry stays until it comes up or the heap is compacted: cancelling is a dictionary
/// removal in the loop, not a search of the heap.
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        var id: Int
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var earliest: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { break }
            var smallest = left
            if left + 1 < entries.count, entries[left + 1].deadline < entries[left].deadline { smallest = left + 1 }
            guard entries[smallest].deadline < entries[parent].deadline else { break }
            entries.swapAt(smallest, parent)
            parent = smallest
        }
        return first
    }

    /// Keeps only the entries `live` admits, rebuilding the heap.
    mutating func compact(keeping live: (Int) -> Bool) {
        let kept = entries.filter { live($0.id) }
        entries.removeAll(keepingCapacity: true)
        for entry in kept { push(entry) }
    }
}
