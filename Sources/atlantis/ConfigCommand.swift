import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import ZKModel

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The CLI's contexts (which manager, which credentials), in $XDG_CONFIG_HOME/atlantis/config.json.",
        subcommands: [
            ConfigView.self, ConfigUseContext.self, ConfigSetContext.self, ConfigSetRegion.self,
            ConfigImportRegions.self,
        ]
    )
}

struct ConfigView: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "view", abstract: "Show the contexts (tokens hidden).")

    func run() async throws {
        let config = try loaded()
        print("file: \(ClientConfig.path)")
        if config.contexts.isEmpty { print("no contexts") }
        for context in config.contexts {
            let mark = context.name == config.currentContext ? "*" : " "
            let region = context.region.map { "  region: \($0)" } ?? ""
            print("\(mark) \(context.name)  \(context.manager)\(region)\(context.token == nil ? "" : "  token: (set)")")
        }
        for region in config.regions ?? [] {
            print(
                "region \(region.name)  manager \(region.manager)  registry \(region.registry)\(region.isBuilder ? "  (builder)" : "")"
            )
        }
    }
}

struct ConfigUseContext: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "use-context", abstract: "Make a context current.")

    @Argument var name: String

    func run() async throws {
        var config = try loaded()
        guard config.contexts.contains(where: { $0.name == name }) else {
            throw ValidationError(
                "no context \"\(name)\" (known: \(config.contexts.map(\.name).joined(separator: ", "))); add it with `atlantis config set-context`"
            )
        }
        config.currentContext = name
        try config.save()
        print("current context: \(name)")
    }
}

struct ConfigSetContext: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-context",
        abstract: "Add or change a context (the first one becomes current)."
    )

    @Argument var name: String

    @Option(help: "The manager's URL.")
    var manager: String

    @Option(help: "The catalog's region this manager serves.")
    var region: String?

    func validate() throws {
        guard URL(string: manager)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
            throw ValidationError("--manager must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        var config = try loaded()
        let token = config.contexts.first { $0.name == name }?.token
        config.set(.init(name: name, manager: manager, token: token, region: region))
        if config.currentContext == nil { config.currentContext = name }
        try config.save()
        print("context \(name): \(manager)")
    }
}

struct ConfigSetRegion: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-region",
        abstract: "Add or change a region of the catalog (the order of first addition is the deploy order).",
        discussion:
            "Log in to each region's manager with a context naming it: `atlantis config set-context NAME --manager URL --region R`, then `atlantis login USER --context NAME`."
    )

    @Argument var name: String

    @Option(help: "The region's manager URL.")
    var manager: String

    @Option(help: "The region's registry, host:port (where its supervisors pull from).")
    var registry: String

    @Flag(help: "The builder runs in this region: images are pushed to its registry.")
    var builder = false

    func validate() throws {
        guard RegionMarker.isValid(name) else {
            throw ValidationError(
                "region \(name): lowercase letters, digits and dashes, starting with a letter (at most 32)"
            )
        }
        guard URL(string: manager)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
            throw ValidationError("--manager must be an http:// or https:// URL")
        }
        guard HostPort(argument: registry) != nil else {
            throw ValidationError("--registry must be host:port, e.g. 127.0.0.1:5000")
        }
    }

    func run() async throws {
        var config = try loaded()
        if builder {
            config.regions = config.regions?.map { Region(name: $0.name, manager: $0.manager, registry: $0.registry) }
        }
        config.set(Region(name: name, manager: manager, registry: registry, builder: builder ? true : nil))
        try config.save()
        print("region \(name): manager \(manager), registry \(registry)\(builder ? ", builder" : "")")
    }
}

struct ConfigImportRegions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-regions",
        abstract:
            "Replace the catalog with a shared file: {\"regions\": [{\"name\", \"manager\", \"registry\", \"builder\"}]}."
    )

    @Argument(help: "The catalog file (JSON).")
    var file: String

    func run() async throws {
        struct Catalog: Decodable { var regions: [Region] }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read \(file)")
        }
        let catalog: Catalog
        do {
            catalog = try JSONDecoder().decode(Catalog.self, from: data)
        } catch {
            throw ValidationError("\(file) is not a region catalog: \(error)")
        }
        for region in catalog.regions where !RegionMarker.isValid(region.name) {
            throw ValidationError("\(file): region name \"\(region.name)\" is not lowercase letters, digits and dashes")
        }
        guard Set(catalog.regions.map(\.name)).count == catalog.regions.count else {
            throw ValidationError("\(file): a region is named twice")
        }
        do {
            _ = try RegionSelection.builder(in: catalog.regions)
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        var config = try loaded()
        config.regions = catalog.regions
        try config.save()
        print("\(catalog.regions.count) regions: \(catalog.regions.map(\.name).joined(separator: ", "))")
    }
}

private func loaded() throws -> ClientConfig {
    do {
        return try ClientConfig.load()
    } catch {
        throw ValidationError("\(error)")
    }
}
