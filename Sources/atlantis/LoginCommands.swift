import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient

#if canImport(Glibc)
import Glibc
#endif

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to the manager with your directory (LDAP) user; the token is kept in the config file.",
        discussion: """
            Prompts for the password; a script pipes it on stdin (`printf %s "$PW" | atlantis login alice`). \
            The token is saved in the context in use (created for the manager when there is none).
            """
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "Your user name (default: $USER).")
    var user: String?

    func run() async throws {
        let name = user ?? ProcessInfo.processInfo.environment["USER"] ?? ""
        let password = try Self.readPassword(prompt: "password for \(name): ")
        let result = try await manager.call { client in try await client.login(user: name, password: password) }
        let context = try manager.saveToken(result.token)
        let identity = result.identity
        print(
            "logged in as \(identity.name)\(identity.admin ? " (platform admin)" : "")"
                + "; teams: \(identity.teams.isEmpty ? "none" : identity.teams.joined(separator: ", "))"
                + "; until \(identity.expires) (context \(context))"
        )
    }

    /// From the terminal without echo, else one line of stdin.
    static func readPassword(prompt: String) throws -> String {
        if isatty(0) == 1, let pointer = getpass(prompt) {
            return String(cString: pointer)
        }
        guard let line = readLine(strippingNewline: true) else {
            throw ValidationError("no password on stdin")
        }
        return line
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Revoke this context's token on the manager and forget it."
    )

    @OptionGroup var manager: ManagerOptions

    func run() async throws {
        try await manager.call { client in try await client.logout() }
        let context = try manager.saveToken(nil)
        print("logged out (context \(context))")
    }
}

struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Who the manager takes you for: user, teams, admin, and when the token expires."
    )

    @OptionGroup var manager: ManagerOptions

    func run() async throws {
        let identity = try await manager.call { client in try await client.whoami() }
        print("\(identity.subject) \(identity.name)\(identity.admin ? " (platform admin)" : "")")
        print("teams:   \(identity.teams.isEmpty ? "none" : identity.teams.joined(separator: ", "))")
        if let app = identity.app { print("app:     \(app)") }
        if let verbs = identity.verbs { print("verbs:   \(verbs.joined(separator: ", "))") }
        print("expires: \(identity.expires)")
    }
}
