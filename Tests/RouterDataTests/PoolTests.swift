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
}
