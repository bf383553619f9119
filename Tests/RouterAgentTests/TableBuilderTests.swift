import RouterData
import Testing
import ZKModel

@testable import RouterAgent

@Suite struct TableBuilderTests {
    func route(_ name: String, app: String, environment: String = "prod") throws -> ParsedRoute {
        try RouterAgent.route(
            Array(
                #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"\#(name)"},"spec":{"host":"\#(name).localhost","pool":{"app":"\#(app)","environment":"\#(environment)"}}}"#
                    .utf8
            )
        )
    }

    func instance(_ app: String, _ environment: String, port: Int, healthy: Bool = true) -> InstanceStatus {
        InstanceStatus(app: app, environment: environment, host: "10.0.0.\(port % 250)", port: port, healthy: healthy)
    }

    /// Each pool holds exactly its own serving instances (sorted), whatever the order of the
    /// reports, and routes to one pool share it.
    @Test func eachPoolHoldsExactlyItsServingInstances() throws {
        let instances = [
            instance("shop", "prod", port: 3002),
            instance("shop", "staging", port: 3003),
            instance("sample", "prod", port: 3004),
            instance("shop", "prod", port: 3001),
            instance("shop", "prod", port: 3005, healthy: false),
        ]
        let snapshot = TableBuilder.snapshot(
            routes: [
                try route("b-shop", app: "shop"), try route("a-shop", app: "shop"),
                try route("c-sample", app: "sample"),
            ],
            services: [],
            instances: instances.shuffled(),
            version: "v"
        )
        let pools = Dictionary(uniqueKeysWithValues: snapshot.pools.map { ($0.name, $0.backends) })
        #expect(pools == ["app/shop/prod": ["10.0.0.1:3001", "10.0.0.2:3002"], "app/sample/prod": ["10.0.0.4:3004"]])
        #expect(snapshot.rules.map(\.name) == ["a-shop", "b-shop", "c-sample"])
        #expect(snapshot.rules.map(\.pool) == ["app/shop/prod", "app/shop/prod", "app/sample/prod"])
    }

    /// A Route version whose spec does not decode is an error of that node (the router keeps its
    /// last valid version and says so), not a route silently left out at every rebuild.
    @Test func aRouteWhoseSpecDoesNotDecodeIsAnError() throws {
        let valid =
            #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r"},"spec":{"host":"r.localhost","pool":{"app":"a","environment":"prod"}}}"#
        let parsed = try RouterAgent.route(Array(valid.utf8))
        #expect(parsed.name == "r" && parsed.spec.host == "r.localhost")
        let invalid =
            #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r"},"spec":{"host":"r.localhost"}}"#
        #expect(throws: (any Error).self) { try RouterAgent.route(Array(invalid.utf8)) }
    }
}
