import AgentOptions
import ArgumentParser
import AsyncHTTPClient
import CLIOptions
import Docker
import Foundation
import Logging
import Reconciler
import Supervisor
import ZKModel
import ZooKeeper

/// Where the time of one deploy goes, from ZooKeeper's own clock (each node's ctime and mtime)
/// and the Engine's: started before `atlantis deploy` (it prints `ready` once it watches), it
/// waits for a router to serve the new instance and prints when each step happened (milliseconds
/// since the epoch; only nodes written at or after `--since-ms` count).
/// The steps: the manager's commit of the Deploy, the scheduler's placement and assignment, the
/// container's start (the Engine's StartedAt), the supervisor's first status, its healthy
/// status, and a router's report of a table that serves it.
struct BenchDeployTrace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-trace",
        abstract: "Times each step of one deploy between the manager's commit and the router's table."
    )

    @Option(help: "ZooKeeper connection string.") var zk = "127.0.0.1:2181"
    @Option(help: "The Deploy (<app>-<environment>).") var deploy = "sample-prod"
    @Option(help: "The app.") var app = "sample"
    @Option(help: "The environment.") var environment = "prod"
    @Option(help: "Supervisors' host ids, comma-separated.") var hosts = "bench-a,bench-b,bench-c"
    @Option(help: "Only writes from this time on count: milliseconds since the epoch (date +%s%3N).") var sinceMs: Int64
    @Option(help: "Seconds to wait for a router to serve it.") var timeout = 30.0

    struct Step: Sendable {
        var name: String
        var at: Int64
    }

    func run() async throws {
        LogOutput.bootstrap(level: .error)
        let tree = ZNodeTree.standard
        let client = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
        let hostIDs = hosts.split(separator: ",").map(String.init)
        let deploys = ZNodeCache(zk: client, folder: tree.desired(.deploy))
        let placements = ZNodeCache(zk: client, folder: tree.placements)
        let statuses = ZNodeCache(zk: client, folder: tree.instanceStatus)
        let routers = ZNodeCache(zk: client, folder: tree.routers)
        let assignments = hostIDs.map { ZNodeCache(zk: client, folder: tree.assignments(host: $0)) }
        let caches = [deploys, placements, statuses, routers] + assignments
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(http: http)
        let steps = try await withThrowingTaskGroup(of: [Step]?.self) { group in
            for cache in caches {
                group.addTask {
                    await cache.run()
                    return nil
                }
            }
            group.addTask {
                for cache in caches { try await cache.waitUntilSynced() }
                FileHandle.standardOutput.write(Data("ready\n".utf8))
                return try await watch(
                    deploys: deploys,
                    placements: placements,
                    assignments: zip(hostIDs, assignments).map { ($0, $1) },
                    statuses: statuses,
                    routers: routers,
                    docker: docker
                )
            }
            var found: [Step]?
            while let result = try await group.next() {
                if let result {
                    found = result
                    group.cancelAll()
                }
            }
            return found ?? []
        }
        try await http.shutdown()
        await client.close()
        let line = steps.map { "\($0.name) \($0.at)" }.joined(separator: "; ")
        FileHandle.standardOutput.write(Data("trace: \(line)\n".utf8))
    }

    /// Polls the caches (memory only; they follow ZooKeeper by watches) every millisecond until
    /// a router serves an instance of the Deploy created after `sinceMs`.
    func watch(
        deploys: ZNodeCache,
        placements: ZNodeCache,
        assignments: [(String, ZNodeCache)],
        statuses: ZNodeCache,
        routers: ZNodeCache,
        docker: DockerClient
    ) async throws -> [Step] {
        let deadline = ContinuousClock.now + .seconds(timeout)
        let pool = RouterReport.poolName(app: app, environment: environment)
        let empty = RouterReport.digest(backends: [])
        var commit: Int64?
        var placed: Int64?
        var assigned: (host: String, instance: String, at: Int64)?
        var statusWritten: Int64?
        var healthy: Int64?
        var routed: Int64?
        while ContinuousClock.now < deadline, routed == nil {
            if commit == nil, let node = deploys.snapshot(deploy), node.stat.mtime >= sinceMs {
                commit = node.stat.mtime
            }
            if placed == nil, let node = placements.snapshot(deploy), node.stat.mtime >= sinceMs {
                placed = node.stat.mtime
            }
            if assigned == nil {
                for (host, cache) in assignments {
                    for key in cache.allKeys() {
                        guard let node = cache.snapshot(key), node.stat.ctime >= sinceMs,
                            let a = try? Payload.decode(InstanceAssignment.self, from: node.data, path: key),
                            a.app == app, a.environment == environment
                        else { continue }
                        assigned = (host, key, node.stat.ctime)
                    }
                }
            }
            if let assigned, let node = statuses.snapshot(assigned.instance) {
                statusWritten = statusWritten ?? node.stat.ctime
                if healthy == nil,
                    let status = try? Payload.decode(InstanceStatus.self, from: node.data, path: assigned.instance),
                    status.serving
                {
                    healthy = node.stat.mtime
                }
            }
            if healthy != nil {
                for key in routers.allKeys() {
                    guard let node = routers.snapshot(key), node.stat.mtime >= (healthy ?? 0),
                        let report = try? Payload.decode(RouterReport.self, from: node.data, path: key),
                        let digest = report.pools?[pool], digest != empty
                    else { continue }
                    routed = min(routed ?? node.stat.mtime, node.stat.mtime)
                }
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        var steps: [Step] = []
        func add(_ name: String, _ at: Int64?) { if let at { steps.append(Step(name: name, at: at)) } }
        add("committed", commit)
        add("placed", placed)
        add("assigned", assigned?.at)
        if let assigned {
            let name = ContainerLabels.containerName(host: assigned.host, instance: assigned.instance)
            if let details = try? await docker.inspect(container: name), let started = details.state.startedAt {
                add("container-started", Self.epochMs(started))
            }
        }
        add("status-written", statusWritten)
        add("healthy-reported", healthy)
        add("router-serves", routed)
        return steps
    }

    /// Milliseconds since the epoch of an RFC 3339 time with up to nanoseconds (the Engine's).
    static func epochMs(_ text: String) -> Int64? {
        guard let dot = text.firstIndex(of: ".") ?? text.firstIndex(of: "Z") else { return nil }
        let formatter = ISO8601DateFormatter()
        guard let whole = formatter.date(from: String(text[..<dot]) + "Z") else { return nil }
        var fraction = 0.0
        if text[dot] == "." {
            let digits = text[text.index(after: dot)...].prefix(while: \.isNumber)
            fraction = Double("0." + digits) ?? 0
        }
        return Int64((whole.timeIntervalSince1970 + fraction) * 1000)
    }
}
