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

    /// The router builds its table straight from the reports (`TableBuilder.table`): the same
    /// table, rule for rule and backend for backend in the same order, as a snapshot's, for
    /// random trees: pools shared by Routes, Services (one missing), internal apps, unhealthy
    /// and standby instances, balancing, and addresses whose text order is not their numeric
    /// one (`10.0.0.10` before `10.0.0.1:`, port 999 after 1000).
    @Test func theTableMadeStraightFromReportsIsTheSnapshotsTable() throws {
        var generator = SystemRandomNumberGenerator()
        let apps = ["shop", "sample", "blog", "internal-api"]
        let environments = ["prod", "staging"]
        let hosts = ["10.0.0.1", "10.0.0.10", "10.0.0.2", "192.168.1.1", "::1", "fd00::1:2"]
        let ports = [80, 999, 1000, 8080, 31000, 3001]
        let services = [
            try RouterAgent.document(
                Array(
                    #"{"apiVersion":"atlantis/v1","kind":"Service","metadata":{"name":"db"},"spec":{"endpoints":[{"host":"10.9.0.2","port":5432},{"host":"10.9.0.1","port":5432}]}}"#
                        .utf8
                )
            )
        ]
        for round in 0..<50 {
            var routes: [ParsedRoute] = []
            for n in 0..<Int.random(in: 1...12, using: &generator) {
                let balancing = Bool.random(using: &generator) ? #","balancing":"leastConnections""# : ""
                let pool =
                    Int.random(in: 0..<5, using: &generator) == 0
                    ? #"{"service":"\#(["db", "missing"].randomElement(using: &generator)!)"}"#
                    : #"{"app":"\#(apps.randomElement(using: &generator)!)","environment":"\#(environments.randomElement(using: &generator)!)"}"#
                routes.append(
                    try RouterAgent.route(
                        Array(
                            #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r\#(n)"},"spec":{"host":"r\#(n).localhost","pool":\#(pool)\#(balancing)}}"#
                                .utf8
                        )
                    )
                )
            }
            let instances = (0..<Int.random(in: 0...30, using: &generator)).map { _ in
                var status = InstanceStatus(
                    app: apps.randomElement(using: &generator)!,
                    environment: environments.randomElement(using: &generator)!,
                    host: hosts.randomElement(using: &generator)!,
                    port: ports.randomElement(using: &generator)!,
                    healthy: Int.random(in: 0..<4, using: &generator) > 0
                )
                status.standby = [nil, false, true].randomElement(using: &generator)!
                return status
            }
            let internalApps: Set<String> = Bool.random(using: &generator) ? ["internal-api"] : []
            let direct = TableBuilder.table(
                routes: routes,
                services: services,
                instances: instances,
                version: "v\(round)",
                internalApps: internalApps
            )
            let snapshot = TableBuilder.snapshot(
                routes: routes,
                services: services,
                instances: instances,
                version: "v\(round)",
                internalApps: internalApps
            )
            #expect(TableSnapshot(direct) == TableSnapshot(snapshot.table()), "round \(round)")
            #expect(TableSnapshot(direct).pools == snapshot.pools, "round \(round)")
        }
    }
}
