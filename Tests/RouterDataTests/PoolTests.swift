import RouterData
import Testing

@Suite struct PoolTests {
    static let backends = (1...3).map { Backend(host: "10.0.0.\($0)", port: 80) }

    @Test func roundRobinVisitsEveryBackendInTurn() {
        let pool = Pool(name: "p", backends: Self.backends)
        var seen: [Int: Int] = [:]
        for _ in 0..<300 { seen[pool.pick()!, default: 0] += 1 }
        #expect(seen == [0: 100, 1: 100, 2: 100])
    }

    @Test func leastConnectionsPrefersTheIdlest() {
        let pool = Pool(name: "p", backends: Self.backends, balancing: .leastConnections)
        pool.begin(0)
        pool.begin(0)
        pool.begin(1)
        #expect(pool.pick() == 2)
        pool.begin(2)
        pool.begin(2)
        #expect(pool.pick() == 1)
        pool.end(0)
        pool.end(0)
        #expect(pool.pick() == 0)
    }

    @Test func excludedBackendsAreSkippedAndEmptyPoolsPickNothing() {
        let pool = Pool(name: "p", backends: Self.backends)
        for _ in 0..<10 { #expect(pool.pick(excluding: [0, 2]) == 1) }
        #expect(pool.pick(excluding: [0, 1, 2]) == nil)
        #expect(Pool(name: "empty", backends: []).pick() == nil)
    }

    /// The proxy's fast path (no exclusions, a cursor of its own) picks as the general one does,
    /// including when the cursor wraps past Int.max.
    @Test(arguments: [Pool.Balancing.roundRobin, .leastConnections], [1, 2, 3, 5])
    func cursorPicksAgreeWithTheGeneralPick(balancing: Pool.Balancing, size: Int) {
        let pool = Pool(
            name: "p",
            backends: (1...size).map { Backend(host: "10.0.0.\($0)", port: 80) },
            balancing: balancing
        )
        if balancing == .leastConnections && size > 1 { pool.begin(0) }
        for start in [0, 7, Int.max - 3] {
            var fast = start
            var general = start
            for _ in 0..<12 {
                let index = pool.pick(cursor: &fast)
                #expect(index == pool.pick(excluding: [], cursor: &general))
                #expect(index.map { (0..<size).contains($0) } == true)
            }
        }
        var cursor = 0
        #expect(Pool(name: "empty", backends: []).pick(cursor: &cursor) == nil)
    }
}
