import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import GitOps
import Logging
import ManagerAPI
import ManagerClient
import ServiceLifecycle

struct GitOpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitops",
        abstract: "GitOps, pull form: keep the cluster at what a git ref holds.",
        subcommands: [GitOpsSyncCommand.self]
    )
}

struct GitOpsSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract:
            "Fetch a ref, apply a path of it through the manager (pruning within --source only), every --interval.",
        discussion: """
            Reports the synced commit, the drift it found and its last error to the manager: \
            `atlantis get gitops [NAME]`. A tree with no documents is refused, never pruned to nothing.
            """
    )

    @OptionGroup var manager: ManagerOptions

    @Option(help: "The repository: a URL or a path git can fetch.")
    var repo: String

    @Option(help: "The ref to follow.")
    var ref: String = "main"

    @Option(help: "The folder of the tree that holds the manifests.")
    var path: String = "deploy"

    @Option(help: "The source its documents are applied as (and the only ones it prunes).")
    var source: String

    @Option(help: "This job's name in `atlantis get gitops` (default: the source).")
    var name: String?

    @Option(help: "Seconds between syncs.")
    var interval: Int = 30

    @Option(help: "Where the job keeps its fetched copy (default: run/gitops-<name>.git).")
    var cache: String?

    @Flag(help: "Sync once and exit: 0 when synced, 1 when not.")
    var once = false

    func validate() throws {
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
        let pattern = try Regex("^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$")
        guard source.wholeMatch(of: pattern) != nil else {
            throw ValidationError("--source must be lower-case letters, digits, '-', '_' or '.'")
        }
        guard !path.contains(".."), !path.hasPrefix("/") else {
            throw ValidationError("--path must be a folder inside the repository, not \(path)")
        }
    }

    func run() async throws {
        let name = self.name ?? source
        let configuration = GitOpsSync.Configuration(
            name: name,
            repo: repo,
            ref: ref,
            path: path.hasSuffix("/") ? String(path.dropLast()) : path,
            source: source,
            interval: .seconds(interval),
            cache: cache ?? FileManager.default.currentDirectoryPath + "/run/gitops-\(name).git"
        )
        let once = self.once
        try await manager.call { client in
            let job = GitOpsSync(configuration: configuration, client: client)
            if once {
                let status = await job.syncOnce()
                try await client.report(status)
                if let error = status.lastError {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    throw ExitCode(1)
                }
                print(
                    "synced \(status.commit?.prefix(12) ?? "-"): \(status.drift.isEmpty ? "no drift" : status.drift.joined(separator: ", "))"
                )
                return
            }
            try await ServiceGroup.process([job], logger: Logger(label: "atlantis.gitops")).run()
        }
    }
}
