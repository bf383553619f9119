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
    /// Three ZooKeeper servers (ports `zooKeeperPort` ... `+2`) instead of one: what the fault
    /// suite needs to kill a leader or a follower. Kept once made (`zk-dev/2` exists).
    public var zooKeeperEnsemble: Bool
    /// The router's port on 127.0.0.1; its admin port is the next one.
    public var routerPort: Int
    /// The binary the agents run (`atlantis`).
    public var binary: String
    /// The manager's port on 127.0.0.1 (the CLI's default manager is http://127.0.0.1:8090).
    public var managerPort: Int
    /// The region this cluster is (nil: a cluster that is not part of a catalog of regions).
    public var region: String?
    /// The loopback address every server of this cluster listens on (127.0.0.1; 127.0.0.2 for a
    /// second region), so that cutting a region off is dropping its address's traffic.
    public var address: String
    /// Another region's registry this one's mirrors (pull-through); nil: this region's registry
    /// is where images are pushed, and the builder runs here.
    public var registryUpstream: String?
    /// The first port of the supervisors' ranges (100 per zone).
    public var portBase: Int
    /// Host ids are `<hostPrefix>-<zone>`.
    public var hostPrefix: String

    public init(
        directory: String = "run/dev",
        repository: String = ".",
        zones: [String] = ["zone-a", "zone-b"],
        zooKeeperPort: Int = 2181,
        routerPort: Int = 8080,
        binary: String = Spawn.selfPath,
        managerPort: Int = 8090,
        region: String? = nil,
        address: String = "127.0.0.1",
        registryUpstream: String? = nil,
        portBase: Int = 31000,
        hostPrefix: String = "dev",
        zooKeeperEnsemble: Bool = false
    ) {
        self.zooKeeperEnsemble =
            zooKeeperEnsemble
            || FileManager.default.fileExists(
                atPath: "\(URL(fileURLWithPath: directory).standardizedFileURL.path)/zk-dev/2/zoo.cfg"
            )
        self.managerPort = managerPort
        self.region = region
        self.address = address
        self.registryUpstream = registryUpstream
        self.portBase = portBase
        self.hostPrefix = hostPrefix
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.repository = repository
        self.zones = zones
        self.zooKeeperPort = zooKeeperPort
        self.routerPort = routerPort
        self.binary = binary
    }

    /// Two dev regions on one machine: r1 (the builder's, on 127.0.0.1 under `directory`) and r2
    /// (on 127.0.0.2 under `directory/r2`, its registry mirroring r1's).
    public static func regions(
        _ count: Int,
        directory: String = "run/dev",
        repository: String = ".",
        zones: [String] = ["zone-a", "zone-b"]
    ) -> [DevCluster] {
        guard count > 1 else { return [DevCluster(directory: directory, repository: repository, zones: zones)] }
        var list = [DevCluster(directory: directory, repository: repository, zones: zones, region: "r1")]
        for i in 2...count {
            list.append(
                DevCluster(
                    directory: "\(directory)/r\(i)",
                    repository: repository,
                    zones: zones,
                    region: "r\(i)",
                    address: "127.0.0.\(i)",
                    registryUpstream: list[0].registry,
                    portBase: 31000 + (i - 1) * 1000,
                    hostPrefix: "dev-r\(i)"
                )
            )
        }
        return list
    }

    public var zooKeeper: String {
        guard zooKeeperEnsemble else { return "\(address):\(zooKeeperPort)" }
        return (0..<3).map { "\(address):\(zooKeeperPort + $0)" }.joined(separator: ",")
    }
    /// One router per zone: zone i on `routerPort + 2i`, its admin port the next one.
    public func routerPort(zone index: Int) -> Int { routerPort + 2 * index }
    /// Zone i's internal router port, on the Docker bridge's gateway (8180+ in r1, 8190+ in r2).
    public func internalPort(zone index: Int) -> Int { 8180 + (portBase - 31000) / 100 + index }
    public var routerAdmin: String { "\(address):\(routerPort + 1)" }
    public var routerAdmins: [String] { zones.indices.map { "\(address):\(routerPort(zone: $0) + 1)" } }
    public var routerURL: String { "http://\(address):\(routerPort)" }
    public var managerURL: String { "http://\(address):\(managerPort)" }
    /// This region's registry (`host:port`).
    public var registry: String { "\(address):5000" }
    public var hostIDs: [String] { zones.map { "\(hostPrefix)-\($0)" } }
    /// Whether the builder runs here (the region whose registry others mirror).
    public var runsBuilder: Bool { registryUpstream == nil }
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
    /// `atlantis-router` beside `binary` when it was built (`scripts/run.sh` builds it): the
    /// router's own binary maps ~9 MiB less of its code; else nil, and `binary router` runs.
    var routerBinary: String? {
        let path = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("atlantis-router")
            .path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    public var agents: [DevAgent] {
        var list = [
            DevAgent(
                name: "manager",
                arguments: [
                    "manager", "--zk", zooKeeper, "--listen", "\(address):\(managerPort)", "--ldap-config",
                    ldapConfiguration, "--secrets-key-file", secretsKey, "--source-registry", registry,
                ] + identity("manager") + (region.map { ["--region", $0] } ?? [])
            ),
            DevAgent(
                name: "scheduler",
                arguments: ["scheduler", "--zk", zooKeeper, "--id", "\(hostPrefix)-scheduler", "--lost-after", "4"]
                    + identity("scheduler")
            ),
        ]
        for (i, zone) in zones.enumerated() {
            let first = portBase + i * 100
            list.append(
                DevAgent(
                    name: "supervisor-\(zone)",
                    arguments: [
                        "supervisor", "--zk", zooKeeper, "--host-id", "\(hostPrefix)-\(zone)", "--zone", zone,
                        "--ports",
                        "\(first)-\(first + 99)", "--stop-grace", "5", "--secrets-key-file", secretsKey,
                        "--logs-port", "\(routerPort + 20 + i)", "--address", address,
                    ] + identity("supervisor")
                )
            )
        }
        if runsBuilder {
            list.append(
                DevAgent(
                    name: "builder",
                    arguments: [
                        "builder", "--zk", zooKeeper, "--id", "\(hostPrefix)-builder", "--store",
                        "\(directory)/builder",
                        "--log-port", "\(routerPort + 5)", "--registry", registry,
                    ] + identity("builder")
                )
            )
        }
        let bridge = interfaceAddress("docker0")
        for (i, zone) in zones.enumerated() {
            let port = routerPort(zone: i)
            // App-to-app calls: on the bridge's gateway, which containers reach (and nothing outside).
            let inside = bridge.map { ["--internal-listen", "\($0):\(internalPort(zone: i))"] } ?? []
            let router = routerBinary
            list.append(
                DevAgent(
                    name: "router-\(zone)",
                    arguments: (router == nil ? ["router"] : []) + [
                        "--zk", zooKeeper, "--listen", "\(address):\(port)", "--admin",
                        "\(address):\(port + 1)",
                        "--id", "\(hostPrefix)-router-\(zone)", "--zone", zone, "--state-dir",
                        "\(directory)/router-\(zone)",
                    ] + inside + identity("router"),
                    program: router
                )
            )
        }
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
        environment["ATLANTIS_ADDRESS"] = address
        environment["ATLANTIS_REGISTRY"] = registry
        environment["ATLANTIS_REGISTRY_UPSTREAM"] = registryUpstream ?? ""
        return Spawn.wait(
            Spawn.start(["/bin/bash", "\(repository)/scripts/\(name)"] + arguments, environment: environment)
        )
    }
}

/// One agent process of a dev cluster: its name (pid file, log), the binary it runs (nil: the
/// cluster's) and its arguments after the binary.
public struct DevAgent: Sendable, Hashable {
    public var name: String
    public var arguments: [String]
    public var program: String? = nil
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
