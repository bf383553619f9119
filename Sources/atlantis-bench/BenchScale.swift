import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import Manager
import ZKModel
import ZooKeeper

/// The scheduler at scale (bench/scale.sh), against a scheduler process the script started:
/// `--supervisors` registered supervisors over `--zones` zones that run no containers (so no
/// instance ever reports healthy: every Deploy stays incomplete, the worst case for polling),
/// Apps and Deploys of 2 instances applied through the manager's own validation, then at each
/// size in `--sizes`:
///   1. the time until every Deploy is placed;
///   2. one Deploy's change (a scale through the manager) → its placement written, p50/p99 over
///      `--changes` changes, one at a time, from ZooKeeper's commit times of the two znodes
///      (millisecond resolution);
///   3. the scheduler's CPU while nothing changes (`--idle-seconds`), from /proc/<pid>/stat.
struct BenchScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Scheduler at 100 and 1,000 Deploys: placement of all, one change → its placement, idle CPU."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The scheduler process's pid (for its CPU).")
    var schedulerPid: Int32

    @Option(help: "Deploy counts to measure at, ascending (comma-separated).")
    var sizes = "100,1000"

    @Option var supervisors = 20
    @Option var zones = 3
    @Option var changes = 200
    @Option var idleSeconds = 10
    @Option(help: "Seconds the scheduler is frozen (SIGSTOP) at the largest size, past its session's expiry (0: not).")
    var expiryPause = 10

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0) }
        let (supervisors, zones, changes, idle, pid, pause) = (
            self.supervisors, self.zones, self.changes, self.idleSeconds, schedulerPid, self.expiryPause
        )
        try await cluster.withZooKeeper { zk, tree in
            try await Self.register(
                zk,
                tree,
                supervisors: supervisors,
                zones: zones,
                perHost: 2 * sizes.max()! / supervisors + 50
            )
            let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
            let team = "apiVersion: atlantis/v1\nkind: Team\nmetadata: {name: bench}\nspec: {members: [ann]}\n"
            try await manager.apply(try ManifestLoader().parse(team, file: "team.yaml"), options: .init())
            var have = 0
            for size in sizes {
                let started = ContinuousClock.now
                for first in stride(from: have, to: size, by: 50) {
                    try await manager.apply(
                        try ManifestLoader().parse(Self.apps(first..<min(size, first + 50)), file: "apps.yaml"),
                        options: .init()
                    )
                }
                have = size
                try await Self.waitPlaced(zk, tree, count: size)
                let placedIn = (ContinuousClock.now - started) / .seconds(1)

                var latencies: [Double] = []
                var instances: [Int: Int] = [:]
                for i in 0..<changes {
                    let k = (i * 7919) % size
                    let next = (instances[k] ?? 2) == 2 ? 3 : 2
                    instances[k] = next
                    let (changedAt, placedAt) = try await Self.change(k, to: next, zk, tree, manager)
                    latencies.append(Double(placedAt - changedAt))
                }

                if size == sizes.last, pause > 0 {
                    let k = 1
                    let next = (instances[k] ?? 2) == 2 ? 3 : 2
                    instances[k] = next
                    let (resumedAt, placedAt, rewritten, expired) = try await Self.expire(
                        pid: pid,
                        pause: pause,
                        zk,
                        tree,
                        change: { try await Self.change(k, to: next, zk, tree, manager) }
                    )
                    print(
                        "\(size) Deploys: scheduler frozen \(pause) s (session \(expired ? "expired" : "NOT expired")); a change made as it resumed placed after \(placedAt - resumedAt) ms; placements rewritten that did not change: \(rewritten)"
                    )
                }
                let (largest, largestPath, over) = try await Self.largestZNode(zk, under: tree.root)
                print(
                    "\(size) Deploys: largest znode \(largestPath) \(largest) bytes; znodes over 64 KiB: \(over.isEmpty ? "none" : over.joined(separator: ", "))"
                )
                try await Task.sleep(for: .seconds(3))
                let before = Self.cpuSeconds(pid)
                let clock = ContinuousClock.now
                try await Task.sleep(for: .seconds(idle))
                let busy = (Self.cpuSeconds(pid) - before) / ((ContinuousClock.now - clock) / .seconds(1))
                print(
                    String(
                        format:
                            "%5d Deploys (%d instances) on %d supervisors in %d zones: all placed in %.1f s; one change → its placement p50 %.1f ms, p99 %.1f ms (%d changes); idle scheduler %.2f %% of a core",
                        size,
                        size * 2,
                        supervisors,
                        zones,
                        placedIn,
                        BenchDashboard.percentile(latencies, 0.5),
                        BenchDashboard.percentile(latencies, 0.99),
                        changes,
                        busy * 100
                    )
                )
            }
        }
    }

    /// Scales Deploy `app<k>-prod` to `next` instances through the manager and waits for its
    /// placement: ZooKeeper's commit times (ms) of the Deploy's change and of its placement.
    static func change(
        _ k: Int,
        to next: Int,
        _ zk: ZooKeeperClient,
        _ tree: ZNodeTree,
        _ manager: Manager
    ) async throws -> (Int64, Int64) {
        let path = tree.placement(deploy: "app\(k)-prod")
        _ = try await manager.changeDeploy(app: "app\(k)", environment: "prod") { spec in
            var spec = spec!
            spec.instances = next
            return spec
        }
        var placedAt: Int64 = 0
        while true {
            let (data, stat, watch) = try await zk.getDataAndWatch(path)
            let placement = try Payload.decode(Placement.self, from: data, path: path)
            if placement.instances.filter({ !$0.isStandby }).count == next {
                placedAt = stat.mtime
                break
            }
            _ = await watch.wait()
        }
        let changedAt = try await zk.getData(tree.desired(DocumentKey(kind: .deploy, name: "app\(k)-prod"))).stat.mtime
        return (changedAt, placedAt)
    }

    /// Freezes the scheduler past its session's expiry, resumes it and makes `change` at once:
    /// when it resumed (ms since the epoch), when the change was placed, how many other
    /// placements were written again within 5 s after (none needed it), and whether the
    /// scheduler's session did expire (its election node's owner changed).
    static func expire(
        pid: Int32,
        pause: Int,
        _ zk: ZooKeeperClient,
        _ tree: ZNodeTree,
        change: () async throws -> (Int64, Int64)
    ) async throws -> (Int64, Int64, Int, Bool) {
        func placements() async throws -> [String: Int64] {
            var out: [String: Int64] = [:]
            for name in try await zk.children(tree.placements) {
                if let stat = try await zk.exists(tree.placements + "/" + name) { out[name] = stat.mzxid }
            }
            return out
        }
        func owners() async throws -> Set<Int64> {
            let folder = tree.election(.scheduler)
            var out: Set<Int64> = []
            for name in try await zk.children(folder) {
                if let stat = try await zk.exists(folder + "/" + name) { out.insert(stat.ephemeralOwner) }
            }
            return out
        }
        let before = try await placements()
        let leaders = try await owners()
        kill(pid, SIGSTOP)
        try await Task.sleep(for: .seconds(pause))
        kill(pid, SIGCONT)
        let resumedAt = Int64(Date().timeIntervalSince1970 * 1000)
        let (_, placedAt) = try await change()
        try await Task.sleep(for: .seconds(5))
        let after = try await placements()
        let rewritten = after.filter { $0.key != "app1-prod" && before[$0.key] != $0.value }.count
        let expired = try await owners().isDisjoint(with: leaders)
        return (resumedAt, placedAt, rewritten, expired)
    }

    /// The largest node of the tree (bytes, path) and every node over 64 KiB: ZooKeeper's nodes
    /// stay small at scale.
    static func largestZNode(_ zk: ZooKeeperClient, under root: String) async throws -> (Int, String, [String]) {
        var largest = (0, root)
        var over: [String] = []
        var folders = [root]
        while let folder = folders.popLast() {
            for child in try await zk.children(folder) {
                let path = folder + "/" + child
                guard let stat = try await zk.exists(path) else { continue }
                let bytes = Int(stat.dataLength)
                if bytes > largest.0 { largest = (bytes, path) }
                if bytes > 64 * 1024 { over.append("\(path) (\(bytes) bytes)") }
                if stat.numChildren > 0 { folders.append(path) }
            }
        }
        return (largest.0, largest.1, over)
    }

    static func apps(_ range: Range<Int>) -> String {
        range.map { i in
            """
            apiVersion: atlantis/v1
            kind: App
            metadata: {name: app\(i)}
            spec: {team: bench, port: 8080}
            ---
            apiVersion: atlantis/v1
            kind: Deploy
            metadata: {name: app\(i)-prod}
            spec: {app: app\(i), environment: prod, image: "127.0.0.1:5000/app:\(i)", instances: 2, cpu: 0.01, memoryMB: 16}
            """
        }.joined(separator: "\n---\n")
    }

    /// Supervisors that are only registrations (ephemeral, on this session).
    static func register(
        _ zk: ZooKeeperClient,
        _ tree: ZNodeTree,
        supervisors: Int,
        zones: Int,
        perHost: Int
    )
        async throws
    {
        try await zk.ensurePath(tree.supervisors)
        for i in 0..<supervisors {
            let registration = SupervisorRegistration(
                id: "bench-h\(i)",
                zone: "zone-\(i % zones)",
                region: nil,
                address: "127.0.0.\(10 + i)",
                capacity: .init(cpu: 1000, memoryMB: 1 << 30, containers: perHost),
                ports: .init(first: 31000, last: 31999)
            )
            try await zk.upsert(
                tree.supervisor(registration.id),
                data: try Payload.encode(registration),
                mode: .ephemeral
            )
        }
    }

    /// Waits until `count` Deploys have placements with 2 instances each.
    static func waitPlaced(_ zk: ZooKeeperClient, _ tree: ZNodeTree, count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let names = try await zk.children(tree.placements)
            if names.count >= count {
                var complete = 0
                for name in names {
                    let (data, _) = try await zk.getData(tree.placement(deploy: name))
                    if try Payload.decode(Placement.self, from: data, path: name).instances.count >= 2 { complete += 1 }
                }
                if complete >= count { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("the Deploys were not all placed in 600 s")
    }

    /// User + system CPU seconds of a process (/proc/<pid>/stat, fields 14 and 15).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
    }
}
