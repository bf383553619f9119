import ArgumentParser
import CLIOptions
import DevCluster
import Foundation
import Logging
import ManagerAPI
import ManagerClient

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "A whole local Atlantis on this machine, on loopback: up, status, down.",
        subcommands: [DevUp.self, DevStatus.self, DevDown.self]
    )
}

/// Where a local cluster lives and what it runs.
struct DevOptions: ParsableArguments {
    @Option(help: "Folder for every log and all data.")
    var dir: String = "run/dev"

    @Option(help: "The repository (its scripts/ install and start ZooKeeper and Docker).")
    var repo: String = "."

    @Option(help: "Zones, one supervisor each (comma-separated).")
    var zones: String = "zone-a,zone-b"

    @Option(help: "ZooKeeper's port on 127.0.0.1.")
    var zkPort: CLIOptions.Port = CLIOptions.Port(2181)

    @Option(help: "The router's port on 127.0.0.1 (its admin port is the next one).")
    var routerPort: CLIOptions.Port = CLIOptions.Port(8080)

    var cluster: DevCluster {
        DevCluster(
            directory: dir,
            repository: repo,
            zones: zones.split(separator: ",").map(String.init),
            zooKeeperPort: zkPort.value,
            routerPort: routerPort.value
        )
    }

    /// Only warnings from this command's own clients: the agents log to their files.
    func quietLogs() {
        LogOutput.bootstrap(level: .warning)
    }
}

struct DevUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract:
            "Start ZooKeeper, dockerd (if none runs), the registry, base images, a scheduler, one supervisor per zone and a router.",
        discussion: "Idempotent: what already runs is left as it is. Logs and data under --dir."
    )

    @OptionGroup var dev: DevOptions

    @Option(help: "Seconds to wait for the cluster to be ready.")
    var timeout: Int = 120

    @Option(help: "The example directory's user to log in as (context `dev`); its password is `<user>-pw`.")
    var user = "ada"

    func run() async throws {
        dev.quietLogs()
        let cluster = dev.cluster
        try await cluster.up(timeout: .seconds(timeout))
        // The example directory's platform admin, so that the README's commands work as they are.
        let login: LoginResult
        do {
            login = try await ManagerClient(baseURL: cluster.managerURL, http: ManagerClient.failFast)
                .login(user: user, password: "\(user)-pw")
        } catch {
            FileHandle.standardError.write(Data("error: cannot log in as \(user): \(error)\n".utf8))
            throw ExitCode(1)
        }
        var config = try ClientConfig.load()
        config.set(ClientConfig.Context(name: "dev", manager: cluster.managerURL, token: login.token))
        config.currentContext = "dev"
        try config.save()
        print(
            "logged in as \(login.identity.name)\(login.identity.admin ? " (platform admin)" : "") in context dev (\(ClientConfig.path)); `atlantis login alice` acts as a member of sample-team"
        )
        // The known build templates, with their base images' digests (scripts/docker.sh bases).
        let templates = "\(cluster.directory)/templates"
        let client = ManagerClient(baseURL: cluster.managerURL, http: ManagerClient.failFast, token: login.token)
        let result = try await client.apply(
            ApplyRequest(try loadManifests([templates]), source: "templates", prune: false, dryRun: false)
        )
        let changed = result.changes.count
        print("build templates applied from \(templates) (\(changed) changed): atlantis get templates")
    }
}

struct DevStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "What of the local cluster runs.")

    @OptionGroup var dev: DevOptions

    func run() async throws {
        dev.quietLogs()
        if await !dev.cluster.status() { throw ExitCode(1) }
    }
}

struct DevDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract:
            "Stop every agent, remove their containers, stop ZooKeeper, the registry and the dockerd `up` started."
    )

    @OptionGroup var dev: DevOptions

    func run() async throws {
        dev.quietLogs()
        await dev.cluster.down()
    }
}
