import CLIOptions
import Testing

@Suite struct RegionSelectionTests {
    let catalog = [
        Region(name: "r1", manager: "http://127.0.0.1:8090", registry: "127.0.0.1:5000", builder: true),
        Region(name: "r2", manager: "http://127.0.0.2:8090", registry: "127.0.0.2:5000"),
        Region(name: "r3", manager: "http://127.0.0.3:8090", registry: "127.0.0.3:5000"),
    ]

    @Test func allIsTheCatalogsOrderAndAListIsItsOwn() throws {
        #expect(try RegionSelection("all", catalog: catalog).regions.map(\.name) == ["r1", "r2", "r3"])
        #expect(try RegionSelection("r3,r1", catalog: catalog).regions.map(\.name) == ["r3", "r1"])
        #expect(try RegionSelection(" r2 ", catalog: catalog).regions.map(\.name) == ["r2"])
    }

    @Test func unknownTwiceOrEmptyAreRefusedByName() {
        #expect(throws: ConfigError.self) { try RegionSelection("r1,eu-9", catalog: catalog) }
        do {
            _ = try RegionSelection("r1,eu-9", catalog: catalog)
        } catch {
            #expect(error.description.contains("unknown region \"eu-9\""))
            #expect(error.description.contains("r1, r2, r3"))
        }
        #expect(throws: ConfigError.self) { try RegionSelection("r2,r2", catalog: catalog) }
        #expect(throws: ConfigError.self) { try RegionSelection("r1,", catalog: catalog) }
        #expect(throws: ConfigError.self) { try RegionSelection("all", catalog: []) }
    }

    @Test func exactlyOneBuilder() throws {
        #expect(try RegionSelection.builder(in: catalog).name == "r1")
        let none = catalog.map { Region(name: $0.name, manager: $0.manager, registry: $0.registry) }
        #expect(throws: ConfigError.self) { try RegionSelection.builder(in: none) }
        var two = catalog
        two[2].builder = true
        #expect(throws: ConfigError.self) { try RegionSelection.builder(in: two) }
    }

    @Test func aRegionsTokenIsItsContextsThenTheSameManagersAndNeverAnothers() {
        var config = ClientConfig(
            contexts: [
                .init(name: "dev", manager: "http://127.0.0.1:8090", token: "t1", region: "r1"),
                .init(name: "other", manager: "http://127.0.0.2:8090", token: "t2"),
            ],
            regions: catalog
        )
        #expect(config.token(for: catalog[0]) == "t1")
        #expect(config.token(for: catalog[1]) == "t2")
        #expect(config.token(for: catalog[2]) == nil)
        config.set(Region(name: "r2", manager: "http://127.0.0.2:9999", registry: "127.0.0.2:5000"))
        #expect(config.regions?.map(\.name) == ["r1", "r2", "r3"])
        #expect(config.regions?[1].manager == "http://127.0.0.2:9999")
    }
}
