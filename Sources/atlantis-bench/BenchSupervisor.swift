import AgentOptions
import ArgumentParser
import AsyncHTTPClient
import CLIOptions
import Docker
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Supervisor
import ZKModel
import ZooKeeper

struct BenchSupervisor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract: "Instance znode written → its health check answering, and container killed → replacement answering."
    )

    @Option(name: .customLong("zk"), help: "ZooKeeper hosts.")
    var zk: String = "127.0.0.1:2181"

    @Option(help: "Instances started, one after another.")
    var instances: Int = 20

    @Option(help: "Containers killed, one after another.")
    var kills: Int = 10

    @Option(help: "The image (its health check is GET /health on 8080).")
    var image: String = "atlantis/sample:v1"

    @Option(help: "Host ports for the instances, FIRST-LAST.", transform: PortRange.parse)
    var ports = PortRange(24000...24099)

    // Unconditional: `--wait -3` is read as the value -3 (and refused by `validate`), not as a
    // missing value followed by an unknown option.
    @Option(parsing: .unconditional, help: "Seconds to wait for an instance to answer before giving up.")
    var wait: Int = 60

    @Option(help: "The ZooKeeper root of the bench's own tree (default: a new /bench-XXXXXX).")
    var root: String?

    @Option(help: "Instances running when the supervisor is restarted (0: no restart): all adopted, none restarted?")
    var adopt: Int = 0

    func validate() throws {
        guard wait > 0 else { throw ValidationError("--wait must be a positive number of seconds, not \(wait)") }
        if let root {
            do { _ = try ZNodeTree(root: root) } catch { throw ValidationError("--root: \(error)") }
        }
    }

    func run() async throws {
        LogOutput.bootstrap(level: .error)
        let range = ports.range
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let tree = try ZNodeTree(root: root ?? "/bench-\(suffix)")
        var client = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(http: http)
        let configuration = SupervisorConfiguration(
            hostID: "bench-\(suffix)",
            zone: "bench",
            ports: range,
            stopGrace: 1,
            healthInterval: .seconds(1)
        )
        let agent = SupervisorAgent(zk: client, tree: tree, configuration: configuration, docker: docker, http: http)
        var running = Task { try? await agent.run() }
        let folder = tree.assignments(host: configuration.hostID)

        func status(_ id: String) async -> InstanceStatus? {
            guard let (data, _) = try? await client.getData(tree.instanceStatus(id)) else { return nil }
            return try? Payload.decode(InstanceStatus.self, from: data, path: tree.instanceStatus(id))
        }
        func answers(_ port: Int) async -> Bool {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
            request.headers.add(name: "Connection", value: "close")
            guard let response = try? await http.execute(request, timeout: .milliseconds(500)) else { return false }
            _ = try? await response.body.collect(upTo: 1 << 16)
            return response.status.code == 200
        }
        /// Waits until the instance's status names a port (and, if given, a container other than
        /// `not`), then until that port answers 200.
        func waitAnswering(_ id: String, not previous: String? = nil) async throws {
            let deadline = ContinuousClock.now + .seconds(wait)
            while ContinuousClock.now < deadline {
                if let s = await status(id), s.containerID != nil, s.containerID != previous, await answers(s.port) {
                    return
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            throw ValidationError("instance \(id) did not answer within \(wait) s")
        }

        // On every way out (a failed wait included) the instances, their containers, the agent, the
        // ZooKeeper session and the HTTP client are cleaned up before the error is shown: AsyncHTTPClient
        // traps in debug builds when a client is dropped without shutdown.
        var startTimes: [Double] = []
        var replaceTimes: [Double] = []
        var failure: (any Error)?
        var adoption: (seconds: Double, restarted: Int, total: Int)?

        /// Writes the assignment of instance `id` of the bench image to this supervisor.
        func assign(_ id: String) async throws {
            let assignment = InstanceAssignment(
                instance: id,
                app: "bench",
                environment: "bench",
                image: image,
                port: 8080,
                healthCheck: .init(path: "/health")
            )
            try await client.create(
                tree.assignment(host: configuration.hostID, instance: id),
                data: try Payload.encode(assignment)
            )
        }

        /// Brings the instances up to `adopt`, all answering; stops the supervisor (its ZooKeeper
        /// session closed, its containers left running) and starts a new one on a new session:
        /// the seconds until every instance is reported healthy by the new session, and how
        /// many of them run in a container other than before (restarted).
        func adoptAfterRestart() async throws -> (Double, Int, Int) {
            for i in instances..<adopt { try await assign("bench-\(i)") }
            var before: [String: String] = [:]
            for i in 0..<adopt {
                try await waitAnswering("bench-\(i)")
                before["bench-\(i)"] = await status("bench-\(i)")?.containerID
            }
            running.cancel()
            _ = await running.value
            await client.close()
            client = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
            let session = InstanceStatus.session(client.sessionID)
            let restarted = SupervisorAgent(
                zk: client,
                tree: tree,
                configuration: configuration,
                docker: docker,
                http: http
            )
            let t0 = ContinuousClock.now
            running = Task { try? await restarted.run() }
            let deadline = t0 + .seconds(wait)
            var adopted: [String: String] = [:]
            while ContinuousClock.now < deadline, adopted.count < adopt {
                for (id, _) in before where adopted[id] == nil {
                    if let s = await status(id), s.session == session, s.serving, let container = s.containerID {
                        adopted[id] = container
                    }
                }
                if adopted.count < adopt { try await Task.sleep(for: .milliseconds(2)) }
            }
            let seconds = (ContinuousClock.now - t0) / .seconds(1)
            guard adopted.count == adopt else {
                throw ValidationError(
                    "\(adopt - adopted.count) of \(adopt) instances not reported by the new supervisor in \(wait) s"
                )
            }
            return (seconds, adopted.filter { before[$0.key] != $0.value }.count, adopt)
        }

        do {
            try await client.ensurePath(folder)
            for i in 0..<instances {
                let id = "bench-\(i)"
                let t0 = ContinuousClock.now
                try await assign(id)
                try await waitAnswering(id)
                startTimes.append((ContinuousClock.now - t0) / .milliseconds(1))
            }
            for i in 0..<min(kills, instances) {
                let id = "bench-\(i)"
                guard let old = await status(id)?.containerID else { continue }
                let t0 = ContinuousClock.now
                try await docker.kill(container: old)
                try await waitAnswering(id, not: old)
                replaceTimes.append((ContinuousClock.now - t0) / .milliseconds(1))
            }
            if adopt > 0 {
                let (seconds, restarted, total) = try await adoptAfterRestart()
                adoption = (seconds, restarted, total)
            }
        } catch {
            failure = error
        }
        for i in 0..<max(instances, adopt) {
            try? await client.delete(tree.assignment(host: configuration.hostID, instance: "bench-\(i)"))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline,
            let left = try? await docker.containers(labels: ["atlantis.host=\(configuration.hostID)"]), !left.isEmpty
        {
            try? await Task.sleep(for: .milliseconds(100))
        }
        running.cancel()
        _ = await running.value
        await client.close()
        try? await http.shutdown()
        if let failure { throw failure }

        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty
                ? .nan : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        print(
            String(
                format:
                    "instance znode written → health check answers: p50 %.0f ms, p90 %.0f ms, max %.0f ms over %d instances",
                percentile(startTimes, 0.5),
                percentile(startTimes, 0.9),
                startTimes.max() ?? .nan,
                startTimes.count
            )
        )
        print(
            String(
                format: "container killed → replacement answers: p50 %.0f ms, max %.0f ms over %d kills",
                percentile(replaceTimes, 0.5),
                replaceTimes.max() ?? .nan,
                replaceTimes.count
            )
        )
        if let adoption {
            print(
                String(
                    format:
                        "supervisor restarted with %d running instances: all reported healthy by the new one after %.2f s; %d restarted",
                    adoption.total,
                    adoption.seconds,
                    adoption.restarted
                )
            )
        }
        print(String(format: "supervisor p50 ms: %.0f", percentile(startTimes, 0.5)))
    }
}
