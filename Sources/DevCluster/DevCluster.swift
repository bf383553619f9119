import Foundation
public import Spawn

/// A whole local Atlantis on this machine, on loopback: the scripts start ZooKeeper, dockerd and
/// the registry; the agents run as daemons of the `atlantis` binary, each with a pid file and a
/// log under `directory`.
public struct DevCluster: Sendable {
    public var directory: String
    /// The repository whose scripts/ install and start ZooKeeper and Docker.
    public var repository: String
    /// One supervisor per zone.
    public var zones: [String]
    public var zooKeeperPort: Int
    /// The router's port on 127.0.0.1; its admin port is the next one.
    public var routerPort: Int
    /// The binary the agents run (`atlantis`).
    public var binary: String
    /// The manager's port on 127.0.0.1 (the CLI's default manager is http://127.0.0.1:8090).
    public var managerPort: Int

    public init(
        directory: String = "run/dev",
        repository: String = ".",
        zones: [String] = ["zone-a", "zone-b"],
        zooKeeperPort: Int = 2181,
        routerPort: Int = 8080,
        binary: String = Spawn.selfPath,
        managerPort: Int = 8090
    ) {
        self.managerPort = managerPort
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.repository = repository
        self.zones = zones
        self.zooKeeperPort = zooKeeperPort
        self.routerPort = routerPort
        self.binary = binary
    }

    public var zooKeeper: String { "127.0.0.1:\(zooKeeperPort)" }
    public var routerAdmin: String { "127.0.0.1:\(routerPort + 1)" }
    public var managerURL: String { "http://127.0.0.1:\(managerPort)" }
    public var hostIDs: [String] { zones.map { "dev-\($0)" } }
    /// slapd's port on 127.0.0.1 (the example directory of examples/ldap).
    public var ldapPort: Int { 3389 }
    /// The manager's directory configuration, written by scripts/ldap.sh.
    public var ldapConfiguration: String { "\(directory)/ldap-dev/directory.json" }
    /// One ZooKeeper identity per role (made by `up` when missing), mode 0600.
    public var identities: String { "\(directory)/identities" }
    func identity(_ role: String) -> [String] { ["--zk-identity-file", "\(identities)/\(role).json"] }
    /// The cluster's secrets key (made by `up` when missing), held by the manager and the supervisors.
    public var secretsKey: String { "\(directory)/secrets.key" }

    /// The agents this cluster runs, in start order.
    public var agents: [DevAgent] {
        var list = [
            DevAgent(
                name: "manager",
                arguments: [
                    "manager", "--zk", zooKeeper, "--listen", "127.0.0.1:\(managerPort)", "--ldap-config",
                    ldapConfiguration, "--secrets-key-file", secretsKey,
                ] + identity("manager")
            ),
            DevAgent(
                name: "scheduler",
                arguments: ["scheduler", "--zk", zooKeeper, "--id", "dev-scheduler", "--lost-after", "10"]
                    + identity("scheduler")
            ),
        ]
        for (i, zone) in zones.enumerated() {
            let first = 31000 + i * 100
            list.append(
                DevAgent(
                    name: "supervisor-\(zone)",
                    arguments: [
                        "supervisor", "--zk", zooKeeper, "--host-id", "dev-\(zone)", "--zone", zone, "--ports",
                        "\(first)-\(first + 99)", "--stop-grace", "5", "--secrets-key-file", secretsKey,
                        "--logs-port", "\(routerPort + 20 + i)",
                    ] + identity("supervisor")
                )
            )
        }
        list.append(
            DevAgent(
                name: "builder",
                arguments: [
                    "builder", "--zk", zooKeeper, "--id", "dev-builder", "--store", "\(directory)/builder",
                    "--log-port", "\(routerPort + 5)",
                ] + identity("builder")
            )
        )
        list.append(
            DevAgent(
                name: "router",
                arguments: [
                    "router", "--zk", zooKeeper, "--listen", "127.0.0.1:\(routerPort)", "--admin", routerAdmin, "--id",
                    "dev-router", "--state-dir", "\(directory)/router",
                ] + identity("router")
            )
        )
        return list
    }

    public func pidFile(_ agent: DevAgent) -> String { "\(directory)/\(agent.name).pid" }
    public func log(_ agent: DevAgent) -> String { "\(directory)/\(agent.name).log" }

    /// The agent's pid while it runs.
    public func pid(_ agent: DevAgent) -> Int32? {
        guard let text = try? String(contentsOfFile: pidFile(agent), encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), Spawn.alive(pid),
            !Spawn.isZombie(pid)
        else { return nil }
        return pid
    }

    /// Runs one of the repository's scripts with this terminal's output; its exit status.
    func script(_ name: String, _ arguments: String...) -> Int32 {
        fflush(nil)
        var environment = ProcessInfo.processInfo.environment
        environment["ATLANTIS_RUN"] = directory
        return Spawn.wait(
            Spawn.start(["/bin/bash", "\(repository)/scripts/\(name)"] + arguments, environment: environment)
        )
    }
}

/// One agent process of a dev cluster: its name (pid file, log) and its arguments after the binary.
public struct DevAgent: Sendable, Hashable {
    public var name: String
    public var arguments: [String]
}

/// What stopped `dev up`, `status` or `down`; the message says where to look.
public struct DevClusterError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

func step(_ text: String) {
    print("==> \(text)")
    fflush(nil)
}
