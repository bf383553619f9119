import Foundation

/// One region of the catalog: an independent Atlantis (its own ZooKeeper, managers, agents and
/// registry). Exactly one region holds the builder; the others' registries serve its images.
public struct Region: Codable, Sendable, Hashable {
    public var name: String
    /// The region's manager, `http://host:port`.
    public var manager: String
    /// The region's registry, `host:port`: where its supervisors pull from.
    public var registry: String
    /// Whether the builder runs in this region (its registry is where images are pushed).
    public var builder: Bool?

    public init(name: String, manager: String, registry: String, builder: Bool? = nil) {
        self.name = name
        self.manager = manager
        self.registry = registry
        self.builder = builder
    }

    public var isBuilder: Bool { builder ?? false }
}

/// The regions a command names: `all` (the catalog's order), or a comma-separated list (that order).
public struct RegionSelection: Sendable, Hashable {
    public let regions: [Region]

    public init(_ text: String, catalog: [Region]) throws(ConfigError) {
        guard !catalog.isEmpty else {
            throw ConfigError(
                "no regions in \(ClientConfig.path): add them with `atlantis config set-region NAME --manager URL --registry HOST:PORT` (or `atlantis dev up --regions 2`)"
            )
        }
        if text == "all" {
            regions = catalog
            return
        }
        var chosen: [Region] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let region = catalog.first(where: { $0.name == name }) else {
                throw ConfigError(
                    "unknown region \"\(name)\" (the catalog has \(catalog.map(\.name).joined(separator: ", ")); `atlantis config view`)"
                )
            }
            guard !chosen.contains(region) else { throw ConfigError("region \(name) is named twice") }
            chosen.append(region)
        }
        regions = chosen
    }

    /// The region whose registry images are pushed to.
    public static func builder(in catalog: [Region]) throws(ConfigError) -> Region {
        let builders = catalog.filter(\.isBuilder)
        guard builders.count == 1, let builder = builders.first else {
            throw ConfigError(
                "the catalog must mark exactly one region as the builder's (it marks \(builders.count)): `atlantis config set-region NAME ... --builder`"
            )
        }
        return builder
    }
}
