import Agents
import ArgumentParser
import AsyncHTTPClient
import Docker
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ZKModel
import ZooKeeper

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "A whole local Atlantis on this machine, on loopback: up, status, down.",
        subcommands: [DevUp.self, DevStatus.self, DevDown.self])
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
    var zkPort: Int = 2181

    @Option(help: "The router's port on 127.0.0.1 (its admin port is the next one).")
    var routerPort: Int = 8080

    var zoneList: [String] { zones.split(separator: ",").map(String.init) }
    var absoluteDir: String { URL(fileURLWithPath: dir).standardizedFileURL.path }
    var zk: String { "127.0.0.1:\(zkPort)" }

    /// The agents this cluster runs: name → arguments after the binary.
    var agents: [(name: String, arguments: [String])] {
        var list: [(String, [String])] = [("scheduler", ["scheduler", "--zk", zk, "--id", "dev-scheduler", "--lost-after", "10"])]
        for (i, zone) in zoneList.enumerated() {
            let first = 31000 + i * 100
            list.append((
                "supervisor-\(zone)",
                ["supervisor", "--zk", zk, "--host-id", "dev-\(zone)", "--zone", zone, "--ports", "\(first)-\(first + 99)", "--stop-grace", "5"]))
        }
        list.append((
            "router",
            ["router", "--zk", zk, "--listen", "127.0.0.1:\(routerPort)", "--admin", "127.0.0.1:\(routerPort + 1)",
             "--id", "dev-router", "--state-dir", "\(absoluteDir)/router"]))
        return list
    }

    /// Only warnings from this command's own clients: the agents log to their files.
    func quietLogs() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
    }

    func pidFile(_ name: String) -> String { "\(absoluteDir)/\(name).pid" }
    func log(_ name: String) -> String { "\(absoluteDir)/\(name).log" }

    func pid(_ name: String) -> Int32? {
        guard let text = try? String(contentsOfFile: pidFile(name), encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            Processes.alive(pid), !Processes.isZombie(pid)
        else { return nil }
        return pid
    }

    func script(_ name: String, _ arguments: String...) -> Int32 {
        fflush(nil)
        return Processes.run(["/bin/bash", "\(repo)/scripts/\(name)"] + arguments, environment: ["ATLANTIS_RUN": absoluteDir])
    }
}

func step(_ text: String) {
    print("==> \(text)")
    fflush(nil)
}

struct DevUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start ZooKeeper, dockerd (if none runs), the registry, base images, a scheduler, one supervisor per zone and a router.",
        discussion: "Idempotent: what already runs is left as it is. Logs and data under --dir.")

    @OptionGroup var dev: DevOptions

    @Option(help: "Seconds to wait for the cluster to be ready.")
    var timeout: Int = 120

    func run() async throws {
        dev.quietLogs()
        try FileManager.default.createDirectory(atPath: dev.absoluteDir, withIntermediateDirectories: true)
        step("installing what is missing (scripts/install.sh)")
        guard dev.script("install.sh") == 0 else { throw DevError("scripts/install.sh failed") }
        step("ZooKeeper on \(dev.zk) (data and log under \(dev.absoluteDir)/zk-dev)")
        guard dev.script("zk.sh", "standalone", "dev", "\(dev.zkPort)") == 0 else { throw DevError("ZooKeeper did not start") }
        step("dockerd, the image registry on 127.0.0.1:5000, base images (scripts/docker.sh up)")
        guard dev.script("docker.sh", "up") == 0 else { throw DevError("Docker did not start; see \(dev.absoluteDir)/dockerd.log") }

        let binary = Processes.selfPath
        for agent in dev.agents {
            if let pid = dev.pid(agent.name) {
                print("    \(agent.name): already running (pid \(pid))")
                continue
            }
            let pid = Processes.daemon([binary] + agent.arguments + ["--log-level", "info"], log: dev.log(agent.name))
            guard pid > 0 else { throw DevError("could not start \(agent.name)") }
            try "\(pid)\n".write(toFile: dev.pidFile(agent.name), atomically: true, encoding: .utf8)
            print("    \(agent.name): started (pid \(pid), log \(dev.log(agent.name)))")
            fflush(nil)
        }

        step("waiting for the supervisors to register and the router to answer")
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: dev.zk))
        defer { Task { await zk.close() } }
        let tree = try ZNodeTree(root: "/atlantis")
        let expected = Set(dev.zoneList.map { "dev-\($0)" })
        let deadline = ContinuousClock.now + .seconds(Int64(timeout))
        var registered: Set<String> = []
        var routerUp = false
        while ContinuousClock.now < deadline {
            registered = Set((try? await zk.children(tree.supervisors)) ?? []).intersection(expected)
            routerUp = await Self.answers("http://127.0.0.1:\(dev.routerPort + 1)/health")
            if registered == expected && routerUp { break }
            for agent in dev.agents where dev.pid(agent.name) == nil {
                throw DevError("\(agent.name) exited; its log: \(dev.log(agent.name))")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        guard registered == expected, routerUp else {
            throw DevError("not ready after \(timeout) s: supervisors \(registered.sorted()) of \(expected.sorted()), router \(routerUp ? "up" : "down")")
        }
        print("local Atlantis is up: ZooKeeper \(dev.zk), supervisors \(registered.sorted().joined(separator: ", ")), router http://127.0.0.1:\(dev.routerPort) (admin :\(dev.routerPort + 1))")
    }

    static func answers(_ url: String) async -> Bool {
        let request = HTTPClientRequest(url: url)
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status.code == 200
    }
}

struct DevStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "What of the local cluster runs.")

    @OptionGroup var dev: DevOptions

    func run() async throws {
        dev.quietLogs()
        var down = 0
        for agent in dev.agents {
            if let pid = dev.pid(agent.name) {
                print("\(agent.name.padding(toLength: 22, withPad: " ", startingAt: 0)) running (pid \(pid))")
            } else {
                print("\(agent.name.padding(toLength: 22, withPad: " ", startingAt: 0)) stopped")
                down += 1
            }
        }
        guard let zk = try? await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: dev.zk, connectTimeout: .seconds(2))) else {
            print("zookeeper              not answering on \(dev.zk)")
            throw ExitCode(1)
        }
        let tree = try ZNodeTree(root: "/atlantis")
        print("zookeeper              serving on \(dev.zk)")
        print("supervisors registered \(((try? await zk.children(tree.supervisors)) ?? []).sorted().joined(separator: ", "))")
        let instances = ((try? await zk.children(tree.instanceStatus)) ?? []).count
        print("instances reported     \(instances)")
        await zk.close()
        if down > 0 { throw ExitCode(1) }
    }
}

struct DevDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop every agent, remove their containers, stop ZooKeeper, the registry and the dockerd `up` started.")

    @OptionGroup var dev: DevOptions

    func run() async throws {
        dev.quietLogs()
        step("stopping the agents")
        for agent in dev.agents.reversed() {
            if let pid = dev.pid(agent.name) {
                await Processes.stop(pid)
                print("    \(agent.name): stopped")
            }
            try? FileManager.default.removeItem(atPath: dev.pidFile(agent.name))
        }
        step("removing the cluster's containers")
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(http: http)
        var removed = 0
        if (try? await docker.ping()) != nil {
            for zone in dev.zoneList {
                for container in (try? await docker.containers(labels: ["atlantis.host=dev-\(zone)"])) ?? [] {
                    try? await docker.remove(container: container.id)
                    removed += 1
                }
            }
        }
        try? await http.shutdown()
        print("    \(removed) removed")
        step("stopping ZooKeeper, the registry and dockerd (if `up` started it)")
        _ = dev.script("zk.sh", "stop", "dev")
        _ = dev.script("docker.sh", "down")
        print("local Atlantis is down")
    }
}

struct DevError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
