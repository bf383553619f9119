import RouterAgent
import RouterData
import Testing
import ZKModel

@Suite struct InternalTableTests {
    func instance(
        _ app: String,
        port: Int,
        address: String?,
        reaches: [String]?,
        healthy: Bool = true
    ) -> InstanceStatus {
        var s = InstanceStatus(app: app, environment: "prod", host: "127.0.0.1", port: port, healthy: healthy)
        s.containerAddress = address
        s.reaches = reaches
        return s
    }

    @Test func everyAppHasItsInternalHostServedOnlyToItsDeclaredCallers() throws {
        let instances = [
            instance("checkout", port: 31000, address: "172.17.0.2", reaches: nil),
            instance("checkout", port: 31001, address: "172.17.0.3", reaches: nil, healthy: false),
            instance("shop", port: 31002, address: "172.17.0.4", reaches: ["app/checkout/prod"]),
            instance("sample", port: 31003, address: "172.17.0.5", reaches: nil),
        ]
        let snapshot = TableBuilder.internalSnapshot(instances: instances, version: "v")
        let rules = Dictionary(uniqueKeysWithValues: snapshot.rules.map { ($0.host, $0) })
        #expect(rules["checkout.prod.internal"]?.sources == ["172.17.0.4"])
        #expect(rules["sample.prod.internal"]?.sources == [])
        #expect(rules["shop.prod.internal"]?.sources == [])
        #expect(snapshot.pools.first { $0.name == "app/checkout/prod" }?.backends == ["127.0.0.1:31000"])
        let table = snapshot.table()
        let route = try #require(table.route(host: "checkout.prod.internal", target: "/", header: { _ in nil }))
        #expect(route.admits("172.17.0.4"))
        #expect(!route.admits("172.17.0.5"))
    }

    @Test func anInternalAppIsLeftOutOfTheExternalTable() throws {
        func route(_ name: String, app: String) throws -> Document {
            let value = try JSONValue.parse(
                #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"\#(name)"},"spec":{"host":"\#(name).localhost","pool":{"app":"\#(app)","environment":"prod"}}}"#
            )
            return try DocumentValidator().validate(value).get()
        }
        let snapshot = TableBuilder.snapshot(
            routes: [try route("checkout", app: "checkout"), try route("shop", app: "shop")],
            services: [],
            instances: [
                instance("checkout", port: 1, address: nil, reaches: nil),
                instance("shop", port: 2, address: nil, reaches: nil),
            ],
            version: "v",
            internalApps: ["checkout"]
        )
        #expect(snapshot.rules.map(\.host) == ["shop.localhost"])
    }
}
