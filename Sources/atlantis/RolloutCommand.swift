import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient
import ZKModel

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "A Deploy's releases: status, history, undo.",
        subcommands: [RolloutStatus.self, RolloutHistory.self, RolloutUndo.self]
    )
}

struct RolloutStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Where a Deploy's rollout stands.")

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The Deploy.")
    var deploy: String

    @Flag(help: "Wait until the current release is rolled out.")
    var wait = false

    @Option(help: "Seconds to wait with --wait.")
    var waitTimeout: Int = 600

    func run() async throws {
        try await manager.eachRegion { try await show($0) }
    }

    private func show(_ manager: ManagerOptions) async throws {
        let (deploy, wait, timeout) = (self.deploy, self.wait, waitTimeout)
        try await manager.call { client in
            let state = try await client.rollout(deploy)
            if wait {
                try await follow(client, deploy: deploy, release: state.release, timeout: timeout, started: .now)
                return
            }
            print("deploy \(deploy): release \(state.release): \(state.line)")
            if state.outcome != .done { throw ExitCode(1) }
        }
    }
}

struct RolloutHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "A Deploy's releases, oldest first."
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The Deploy.")
    var deploy: String

    func run() async throws {
        let deploy = self.deploy
        let history = try await manager.call { client in try await client.releases(deploy) }
        if history.releases.isEmpty {
            print("deploy \(deploy) has no release")
            return
        }
        var rows = [[" RELEASE", "IMAGE", "CREATED", "CAUSE"]]
        for r in history.releases {
            rows.append(["\(r.number == history.current ? "*" : " ")\(r.number)", r.image, r.createdAt, r.cause])
        }
        printTable(rows)
    }
}

struct RolloutUndo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Go back to the previous release (or --to N) and wait until every router serves it."
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The Deploy.")
    var deploy: String

    @Option(help: "The release to go back to.")
    var to: Int?

    @Option(help: "The release it moves from (by default the current one): run again, it never goes further back.")
    var from: Int?

    @Flag(help: "Return once the pointer has moved.")
    var noWait = false

    func run() async throws {
        let started = ContinuousClock.now
        let (deploy, noWait) = (self.deploy, self.noWait)
        let request = UndoRequest(to: to, from: from)
        try await manager.call { client in
            let result = try await client.undo(deploy, request)
            print("deploy \(deploy): back to release \(result.release) (\(result.image ?? ""))")
            if noWait { return }
            try await follow(client, deploy: deploy, release: result.release, timeout: 300, started: started)
        }
    }
}
