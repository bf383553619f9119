import ArgumentParser
import CLIOptions
import Foundation

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The CLI's contexts (which manager, which credentials), in $XDG_CONFIG_HOME/atlantis/config.json.",
        subcommands: [ConfigView.self, ConfigUseContext.self, ConfigSetContext.self]
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
            print("\(mark) \(context.name)  \(context.manager)\(context.token == nil ? "" : "  token: (set)")")
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

    func validate() throws {
        guard URL(string: manager)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
            throw ValidationError("--manager must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        var config = try loaded()
        let token = config.contexts.first { $0.name == name }?.token
        config.set(.init(name: name, manager: manager, token: token))
        if config.currentContext == nil { config.currentContext = name }
        try config.save()
        print("context \(name): \(manager)")
    }
}

private func loaded() throws -> ClientConfig {
    do {
        return try ClientConfig.load()
    } catch {
        throw ValidationError("\(error)")
    }
}
