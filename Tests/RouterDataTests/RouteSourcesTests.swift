import RouterData
import Testing

@Suite struct RouteSourcesTests {
    @Test func aRuleWithSourcesAdmitsOnlyThemAndOneWithoutAdmitsAnyone() throws {
        let table = RoutingTable(
            rules: [
                RouteRule(name: "in", host: .init("checkout.prod.internal"), pool: "p", sources: ["172.17.0.5"]),
                RouteRule(name: "none", host: .init("sample.prod.internal"), pool: "p", sources: []),
                RouteRule(name: "open", host: .init("shop.localhost"), pool: "p"),
            ],
            pools: [Pool(name: "p", backends: [Backend(host: "127.0.0.1", port: 1)])]
        )
        let inside = try #require(table.route(host: "checkout.prod.internal:8180", target: "/", header: { _ in nil }))
        #expect(inside.admits("172.17.0.5"))
        #expect(!inside.admits("172.17.0.6"))
        let nobody = try #require(table.route(host: "sample.prod.internal", target: "/", header: { _ in nil }))
        #expect(!nobody.admits("172.17.0.5"))
        let open = try #require(table.route(host: "shop.localhost", target: "/", header: { _ in nil }))
        #expect(open.admits("10.0.0.1"))
    }
}
