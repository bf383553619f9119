import ArgumentParser
import CLIOptions
import DevCluster
import Logging

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
    var zkPort: Port = Port(2181)

    @Option(help: "The router's port on 127.0.0.1 (its admin port is the next one).")
    var routerPort: Port = Port(8080)

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

    func run() async throws {
        dev.quietLogs()
        try await dev.cluster.up(timeout: .seconds(timeout))
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
