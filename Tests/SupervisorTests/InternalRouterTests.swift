import Foundation
import Testing
import ZKModel

@testable import Supervisor

@Suite struct InternalRouterTests {
    func report(zone: String?, listen: String?) throws -> [UInt8] {
        try Payload.encode(
            RouterReport(address: "127.0.0.1:8080", tableVersion: "1", pools: nil, zone: zone, internal: listen)
        )
    }

    @Test func theZonesRouterWithAnInternalListenerTheFirstById() throws {
        let routers = [
            (id: "r-b", data: try report(zone: "zone-a", listen: "172.17.0.1:8181")),
            (id: "r-a", data: try report(zone: "zone-a", listen: "172.17.0.1:8180")),
            (id: "r-0", data: try report(zone: "zone-a", listen: nil)),
            (id: "r-c", data: try report(zone: "zone-b", listen: "172.17.0.1:8182")),
            (id: "r-x", data: Array("not json".utf8)),
        ]
        #expect(InternalRouter.find(in: routers, zone: "zone-a") == InternalRouter(address: "172.17.0.1", port: 8180))
        #expect(InternalRouter.find(in: routers, zone: "zone-b") == InternalRouter(address: "172.17.0.1", port: 8182))
        #expect(InternalRouter.find(in: routers, zone: "zone-c") == nil)
    }

    @Test func eachDependencyGetsItsURLAndItsNameSentToTheRouter() {
        let router = InternalRouter(address: "172.17.0.1", port: 8180)
        let wiring = router.wiring(for: [
            AppDependency(app: "checkout", environment: "prod"), AppDependency(app: "pay-api", environment: "eu-1"),
        ])
        #expect(
            wiring.env == [
                "ATLANTIS_APP_CHECKOUT_PROD_URL=http://checkout.prod.internal:8180",
                "ATLANTIS_APP_PAY_API_EU_1_URL=http://pay-api.eu-1.internal:8180",
            ]
        )
        #expect(wiring.hosts == ["checkout.prod.internal:172.17.0.1", "pay-api.eu-1.internal:172.17.0.1"])
    }

    @Test func egressAllowsTheRouterOnlyForInstancesWithDependencies() throws {
        let router = InternalRouter(address: "172.17.0.1", port: 8180)
        var assignment = InstanceAssignment(
            instance: "shop-prod-1",
            app: "shop",
            environment: "prod",
            image: "atlantis/sample:v1",
            port: 8080
        )
        #expect(EgressResolver.internalRules(for: assignment, router: router, zone: "zone-a").allowed.isEmpty)
        assignment.dependsOnApps = [AppDependency(app: "checkout", environment: "prod")]
        let allowed = EgressResolver.internalRules(for: assignment, router: router, zone: "zone-a")
        #expect(allowed.allowed.map { "\($0.address):\($0.port)" } == ["172.17.0.1:8180"])
        #expect(allowed.problems.isEmpty)
        let none = EgressResolver.internalRules(for: assignment, router: nil, zone: "zone-a")
        #expect(none.allowed.isEmpty)
        #expect(none.problems.first?.contains("no internal router in zone zone-a") == true)
    }
}
