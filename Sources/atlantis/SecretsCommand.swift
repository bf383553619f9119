import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "An environment's secrets: stored sealed, given to its containers as environment variables.",
        discussion: """
            Values are never shown again: not by `list`, `get`, the API, the audit trail or any log. \
            A change is a new release of the environment's Deploy and rolls out like an image change.
            """,
        subcommands: [Set.self, List.self, Unset.self]
    )

    struct Target: ParsableArguments {
        @Argument(help: "The app.")
        var app: String

        @Option(name: .customLong("env"), help: "The environment.")
        var environment: String
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set secrets: NAME=VALUE, or NAME=- to read the value from stdin (not shown in `ps`)."
        )

        @OptionGroup var manager: ManagerOptions
        @OptionGroup var target: Target

        @Argument(help: "NAME=VALUE or NAME=-")
        var pairs: [String]

        func validate() throws {
            guard !pairs.isEmpty else { throw ValidationError("give at least one NAME=VALUE") }
            for pair in pairs where !pair.contains("=") {
                throw ValidationError("\(pair.prefix(64)): give NAME=VALUE")
            }
        }

        func run() async throws {
            var values: [String: String] = [:]
            for pair in pairs {
                let name = String(pair[..<pair.firstIndex(of: "=")!])
                var value = String(pair[pair.index(after: pair.firstIndex(of: "=")!)...])
                if value == "-" {
                    value = readLine(strippingNewline: true) ?? ""
                }
                values[name] = value
            }
            let request = SecretsRequest(set: values)
            let (app, env) = (target.app, target.environment)
            let info = try await manager.call { client in
                try await client.changeSecrets(app: app, environment: env, request)
            }
            print(Self.describe(info, "set \(values.keys.sorted().joined(separator: ", "))"))
        }

        static func describe(_ info: SecretsInfo, _ what: String) -> String {
            var line = "\(info.app)/\(info.environment): \(what) (revision \(info.revision))"
            if let deploy = info.deploy, let release = info.release {
                line +=
                    "; Deploy \"\(deploy)\" rolls out release \(release) (`atlantis rollout status \(deploy) --wait`)"
            }
            return line
        }
    }

    struct Unset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove secrets by name.")

        @OptionGroup var manager: ManagerOptions
        @OptionGroup var target: Target

        @Argument var names: [String]

        func run() async throws {
            let (app, env, names) = (target.app, target.environment, names)
            let info = try await manager.call { client in
                try await client.changeSecrets(app: app, environment: env, SecretsRequest(unset: names))
            }
            print(Set.describe(info, "unset \(names.sorted().joined(separator: ", "))"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The names of an environment's secrets.")

        @OptionGroup var manager: ManagerOptions
        @OptionGroup var target: Target

        func run() async throws {
            let (app, env) = (target.app, target.environment)
            let info = try await manager.call { client in try await client.secrets(app: app, environment: env) }
            if info.names.isEmpty {
                print("\(app)/\(env): no secrets")
                return
            }
            print("\(app)/\(env), revision \(info.revision)\(info.updated.map { ", changed \($0)" } ?? ""):")
            for name in info.names { print("  \(name)") }
        }
    }
}
