import ArgumentParser
import CLIOptions
import Foundation
import Manager
import ZKModel
import ZooKeeper

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "A Deploy's releases: status, history, undo.",
        subcommands: [RolloutStatus.self, RolloutHistory.self, RolloutUndo.self]
    )
}

struct RolloutStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Where a Deploy's rollout stands.")

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The Deploy.")
    var deploy: String

    @Flag(help: "Wait until the current release is rolled out.")
    var wait = false

    func run() async throws {
        let deploy = self.deploy
        let (generation, release) = try await cluster.withManager { manager throws(ManagerError) -> (Int, Int) in
            guard let stored = try await manager.get(.deploy, name: deploy).first else {
                throw ManagerError(.notFound, "no Deploy \(deploy)")
            }
            return (stored.document.metadata.generation ?? 1, try await manager.currentRelease(deploy) ?? 0)
        }
        if wait {
            try await follow(
                cluster,
                deploy: deploy,
                release: release,
                generation: generation,
                timeout: 600,
                started: .now
            )
            return
        }
        let progress = try await cluster.withZooKeeper { zk, tree in
            try await RolloutWatcher(zk: zk, tree: tree).look(deploy: deploy, release: release, generation: generation)
        }
        print("deploy \(deploy): release \(release): \(progress.line)")
        if progress.outcome != .done { throw ExitCode(1) }
    }
}

struct RolloutHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "A Deploy's releases, oldest first."
    )

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The Deploy.")
    var deploy: String

    func run() async throws {
        let deploy = self.deploy
        let (releases, current) = try await cluster.withManager { manager throws(ManagerError) -> ([Release], Int?) in
            (try await manager.releases(deploy), try await manager.currentRelease(deploy))
        }
        if releases.isEmpty {
            print("deploy \(deploy) has no release")
            return
        }
        print("RELEASE  IMAGE                                     CREATED               CAUSE")
        for r in releases {
            let mark = r.number == current ? "*" : " "
            print(
                "\(mark)\(String(r.number).padding(toLength: 8, withPad: " ", startingAt: 0)) \(r.image.padding(toLength: 41, withPad: " ", startingAt: 0)) \(r.createdAt.padding(toLength: 21, withPad: " ", startingAt: 0)) \(r.cause)"
            )
        }
    }
}

struct RolloutUndo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Go back to the previous release (or --to N) and wait until every router serves it."
    )

    @OptionGroup var cluster: ClusterOptions

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
        let (deploy, to, from) = (self.deploy, self.to, self.from)
        let (release, generation) = try await cluster.withManager { manager throws(ManagerError) -> (Release, Int) in
            let release = try await manager.undo(deploy: deploy, to: to, from: from)
            let generation = try await manager.get(.deploy, name: deploy).first?.document.metadata.generation ?? 1
            return (release, generation)
        }
        print("deploy \(deploy): back to release \(release.number) (\(release.image))")
        if noWait { return }
        try await follow(
            cluster,
            deploy: deploy,
            release: release.number,
            generation: generation,
            timeout: 300,
            started: started
        )
    }
}
