import Synchronization

/// A set of backends and how requests are spread over them. The set is fixed for the pool's
/// life (a new table brings new pools); the balancing counters are shared atomics, and only a
/// least-connections pool has a count per backend (a router at 50,000 round-robin backends kept
/// 50,000 counting objects it never read: ~2.4 MiB).
public final class Pool: Sendable {
    public enum Balancing: String, Hashable, Sendable {
        case roundRobin
        case leastConnections
    }

    public let name: String
    public let backends: [Backend]
    public let balancing: Balancing
    private let next = Atomic<Int>(0)
    /// Requests in flight to each backend: least-connections pools only (empty for round robin).
    private let inFlight: [InFlight]

    private final class InFlight: Sendable {
        let count = Atomic<Int>(0)
    }

    public init(name: String, backends: [Backend], balancing: Balancing = .roundRobin) {
        self.name = name
        self.backends = backends
        self.balancing = balancing
        self.inFlight = balancing == .leastConnections ? backends.map { _ in InFlight() } : []
    }

    /// The index of the backend for the next request, skipping `excluded` when others remain;
    /// nil for an empty pool.
    public func pick(excluding excluded: Set<Int> = []) -> Int? {
        guard !backends.isEmpty else { return nil }
        return pick(excluding: excluded, start: next.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// Like `pick(excluding:)`, turning the caller's own `cursor` instead of the pool's shared one:
    /// a proxy keeps one per event loop, so threads do not contend on one counter per request.
    public func pick(excluding excluded: Set<Int> = [], cursor: inout Int) -> Int? {
        guard !backends.isEmpty else { return nil }
        cursor &+= 1
        return pick(excluding: excluded, start: cursor)
    }

    /// `pick(excluding: [], cursor:)` without a set.
    public func pick(cursor: inout Int) -> Int? {
        guard !backends.isEmpty else { return nil }
        cursor &+= 1
        switch balancing {
        case .roundRobin:
            let index = cursor % backends.count
            return index < 0 ? index + backends.count : index
        case .leastConnections:
            return pick(excluding: [], start: cursor)
        }
    }

    private func pick(excluding excluded: Set<Int>, start: Int) -> Int? {
        switch balancing {
        case .roundRobin:
            for offset in 0..<backends.count {
                let index = (start &+ offset) % backends.count
                let i = index < 0 ? index + backends.count : index
                if !excluded.contains(i) { return i }
            }
            return nil
        case .leastConnections:
            var best: Int?
            var bestLoad = Int.max
            // Start the scan at a rotating offset so ties spread.
            for offset in 0..<backends.count {
                let raw = (start &+ offset) % backends.count
                let i = raw < 0 ? raw + backends.count : raw
                guard !excluded.contains(i) else { continue }
                let load = self.load(i)
                if load < bestLoad {
                    best = i
                    bestLoad = load
                }
            }
            return best
        }
    }

    /// Counts a request in flight to backend `index` (kept for least-connections balancing only:
    /// round robin needs no shared counter per request).
    public func begin(_ index: Int) {
        if balancing == .leastConnections { inFlight[index].count.add(1, ordering: .relaxed) }
    }

    public func end(_ index: Int) {
        if balancing == .leastConnections { inFlight[index].count.subtract(1, ordering: .relaxed) }
    }

    /// Requests in flight to backend `index` (0 in a round-robin pool: not counted).
    public func load(_ index: Int) -> Int {
        balancing == .leastConnections ? inFlight[index].count.load(ordering: .relaxed) : 0
    }
}
