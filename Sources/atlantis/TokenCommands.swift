import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Tokens for machines (a GitOps job, CI): they belong to a team, not to their maker.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token for a team you belong to; it is printed once and never again."
        )

        @OptionGroup var manager: ManagerOptions

        @Option(help: "The team it acts for.")
        var team: String

        @Option(help: "Limit it to one app of the team.")
        var app: String?

        @Option(help: "Limit it to these verbs: apply,delete,deploy,scale,undo,teardown,secrets.")
        var verbs: String?

        @Option(help: "How long it lasts: 90d, 12h, 30m (at most 365d).")
        var ttl: String = "90d"

        @Option(help: "A name to tell it by in `token list`.")
        var name: String

        func run() async throws {
            let request = TokenRequest(
                name: name,
                team: team,
                app: app,
                verbs: verbs.map { $0.split(separator: ",").map(String.init) },
                ttl: ttl
            )
            let issued = try await manager.call { client in try await client.createToken(request) }
            FileHandle.standardError.write(
                Data(
                    "token \(issued.info.id) for team \(issued.info.team), until \(issued.info.expires); store it now, it is not shown again:\n"
                        .utf8
                )
            )
            print(issued.token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The machine tokens of your teams.")

        @OptionGroup var manager: ManagerOptions

        func run() async throws {
            let items = try await manager.call { client in try await client.tokens() }
            if items.isEmpty {
                print("no tokens")
                return
            }
            print("ID            NAME                 TEAM             APP              VERBS                EXPIRES")
            for t in items {
                let columns = [
                    t.id.padding(toLength: 13, withPad: " ", startingAt: 0),
                    t.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                    t.team.padding(toLength: 16, withPad: " ", startingAt: 0),
                    (t.app ?? "*").padding(toLength: 16, withPad: " ", startingAt: 0),
                    (t.verbs?.joined(separator: ",") ?? "*").padding(toLength: 20, withPad: " ", startingAt: 0),
                    t.expires,
                ]
                print(columns.joined(separator: " "))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once (its id from `token list`).")

        @OptionGroup var manager: ManagerOptions

        @Argument var id: String

        func run() async throws {
            try await manager.call { client in try await client.revokeToken(id) }
            print("revoked \(id)")
        }
    }
}
