import AgentOptions
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

    @Option(help: "The first router's port on 127.0.0.1 (its admin port is the next one; one router per zone).")
    var routerPort: CLIOptions.Port = CLIOptions.Port(8080)

    @Flag(help: "Three ZooKeeper servers (--zk-port and the next two) instead of one; kept for later `dev up`s.")
    var zkEnsemble = false

    @Option(
        help:
            "Regions (1 or 2): r1 on 127.0.0.1 with the builder, r2 on 127.0.0.2 under --dir/r2 with a registry mirroring r1's."
    )
    var regions: Int = 1

    func validate() throws {
        guard (1...2).contains(regions) else { throw ValidationError("--regions is 1 or 2") }
    }

    var cluster: DevCluster {
        DevCluster(
            directory: dir,
            repository: repo,
            zones: zones.split(separator: ",").map(String.init),
            zooKeeperPort: zkPort.value,
            routerPort: routerPort.value,
            zooKeeperEnsemble: zkEnsemble
        )
    }

    /// The regions asked for (`--regions`), else those whose folders exist (for status and down).
    func clusters(existing: Bool) -> [DevCluster] {
        let zones = zones.split(separator: ",").map(String.init)
        var count = regions
        if existing {
            while FileManager.default.fileExists(atPath: "\(dir)/r\(count + 1)") { count += 1 }
        }
        guard count > 1 else { return [cluster] }
        return DevCluster.regions(count, directory: dir, repository: repo, zones: zones)
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
        let clusters = dev.clusters(existing: false)
        for (i, cluster) in clusters.enumerated() {
            try await cluster.up(timeout: .seconds(timeout))
            try await logIn(cluster, context: i == 0 ? "dev" : "dev-\(cluster.region ?? "\(i + 1)")")
        }
        guard clusters.count > 1 else { return }
        // The catalog: r1 holds the builder; the others' registries mirror its registry.
        var config = try ClientConfig.load()
        for cluster in clusters {
            config.set(
                Region(
                    name: cluster.region ?? "",
                    manager: cluster.managerURL,
                    registry: cluster.registry,
                    builder: cluster.runsBuilder ? true : nil
                )
            )
        }
        try config.save()
        print(
            "regions \(clusters.compactMap(\.region).joined(separator: ", ")) in the catalog (`atlantis config view`); deploy to all: atlantis deploy APP --env ENV --image IMAGE --regions all"
        )
    }

    /// Logs in as the example directory's platform admin, so that the README's commands work as they are.
    private func logIn(_ cluster: DevCluster, context name: String) async throws {
        let login: LoginResult
        do {
            login = try await ManagerClient(baseURL: cluster.managerURL, http: ManagerClient.failFast)
                .login(user: user, password: "\(user)-pw")
        } catch {
            FileHandle.standardError.write(Data("error: cannot log in as \(user): \(error)\n".utf8))
            throw ExitCode(1)
        }
        var config = try ClientConfig.load()
        config.set(
            ClientConfig.Context(name: name, manager: cluster.managerURL, token: login.token, region: cluster.region)
        )
        if name == "dev" { config.currentContext = name }
        try config.save()
        print(
            "logged in as \(login.identity.name)\(login.identity.admin ? " (platform admin)" : "") in context \(name) (\(ClientConfig.path)); `atlantis login alice` acts as a member of sample-team"
        )
        guard cluster.runsBuilder else { return }
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
        var ok = true
        for cluster in dev.clusters(existing: true) {
            if let region = cluster.region { print("== region \(region) (\(cluster.address))") }
            if await !cluster.status() { ok = false }
        }
        if !ok { throw ExitCode(1) }
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
        // The mirrors first: the builder region's cluster stops dockerd.
        for cluster in dev.clusters(existing: true).reversed() { await cluster.down() }
    }
}
