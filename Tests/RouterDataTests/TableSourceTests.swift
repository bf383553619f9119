import RouterData
import Testing

@Suite struct TableSourceTests {
    static func table(_ version: String, pool: String) -> RoutingTable {
        RoutingTable(
            version: version,
            rules: [RouteRule(name: "shop", host: .init("shop.example.com"), pool: pool)],
            pools: [Pool(name: pool, backends: [Backend(host: "h", port: 1)])]
        )
    }

    /// A reader holds the table and its generation in one object: a swap gives the next reader
    /// the new table under a new generation, and one held before keeps routing by the old.
    @Test func aHeldTableIsTheOneSwappedInAtItsGenerationAndOutlivesTheSwap() {
        let source = TableSource(Self.table("a", pool: "pool-a"))
        let first = source.held()
        #expect(first.generation == source.generation)
        #expect(first.table.version == "a")
        #expect(TableSource.Held.none.generation != first.generation)

        source.replace(with: Self.table("b", pool: "pool-b"))
        let second = source.held()
        #expect(second.generation == source.generation && second.generation != first.generation)
        #expect(second.table.version == "b" && source.current.version == "b")
        #expect(second.route(host: "shop.example.com", target: "/", header: { _ in nil })?.pool?.name == "pool-b")
        #expect(first.route(host: "shop.example.com:443", target: "/x", header: { _ in nil })?.pool?.name == "pool-a")
        #expect(first.route(host: "other.example.com", target: "/", header: { _ in nil }) == nil)
    }
}
