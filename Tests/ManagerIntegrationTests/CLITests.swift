import Foundation
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// The `atlantis` binary as a user runs it: output and exit codes.
@Suite("atlantis CLI")
struct CLITests {
    static var binary: String {
        ProcessInfo.processInfo.environment["ATLANTIS_BIN"] ?? Harness.path(".build/debug/atlantis")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The router's own binary (`atlantis-router`), beside `atlantis`.
    static var routerBinary: String {
        ProcessInfo.processInfo.environment["ATLANTIS_ROUTER_BIN"] ?? Harness.path(".build/debug/atlantis-router")
    }

    /// The benchmarks' own binary (`atlantis-bench`), beside `atlantis`.
    static var benchBinary: String {
        ProcessInfo.processInfo.environment["ATLANTIS_BENCH_BIN"] ?? Harness.path(".build/debug/atlantis-bench")
    }

    /// The commands that go through a manager (the others are agents, speaking to ZooKeeper).
    static let userCommands: Set<String> = [
        "apply", "get", "delete", "diff", "deploy", "scale", "teardown", "rollout", "instances", "audit", "gitops",
    ]

    /// `root` nil: the arguments carry their own `--root` (or none). A user command is sent to a
    /// manager of that root (started once per root), as a user runs it.
    static func atlantis(_ arguments: [String], root: String?, binary: String = binary) throws -> Run {
        let target: [String]
        if let command = arguments.first, userCommands.contains(command), binary == Self.binary {
            target = [
                "--manager",
                try ManagerProcesses.url(binary: binary, zooKeeper: Harness.hosts, root: root ?? "/atlantis"),
            ]
        } else {
            target = ["--zk", Harness.hosts] + (root.map { ["--root", $0] } ?? [])
        }
        // Run from the repository (relative paths like `examples`), without touching our own cwd.
        let (status, stdout, stderr) = Spawn.run3(
            ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", Harness.repoRoot.path, binary] + arguments + target
        )
        return Run(status: status, stdout: stdout, stderr: stderr)
    }

    /// `atlantis-bench` with `arguments`, as `atlantis` above.
    static func bench(_ arguments: [String], root: String?) throws -> Run {
        try atlantis(arguments, root: root, binary: benchBinary)
    }

    static func newRoot() -> String { "/clitest-\(UUID().uuidString.prefix(8).lowercased())" }

    /// `atlantis router` (`ownBinary`: `atlantis-router`) on free loopback ports, its state in a
    /// temporary folder, on a new tree; stopped (and its folder removed) by `stop`. Returns once its
    /// admin port answers.
    static func startRouter(
        _ extra: [String] = [],
        ownBinary: Bool = false
    ) async throws -> (process: Process, admin: Int, stop: () -> Void) {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        let (listen, admin) = (Loopback.freePort(), Loopback.freePort())
        let router = Process()
        router.executableURL = URL(fileURLWithPath: ownBinary ? routerBinary : binary)
        router.arguments =
            (ownBinary ? [] : ["router"]) + [
                "--listen", "127.0.0.1:\(listen)", "--admin", "127.0.0.1:\(admin)", "--state-dir", state,
                "--zk", Harness.hosts, "--root", newRoot(),
            ] + extra
        router.standardOutput = FileHandle.nullDevice
        router.standardError = FileHandle.nullDevice
        try router.run()
        let stop = {
            router.terminate()
            router.waitUntilExit()
            try? FileManager.default.removeItem(atPath: state)
        }
        let url = "http://127.0.0.1:\(admin)/metrics"
        #expect(await eventually(.seconds(15)) { Loopback.curl(url, extra: ["--max-time", "2"]).status == 200 })
        return (router, admin, stop)
    }

    @Test func applyGetDiffDeleteRoundTrip() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the atlantis binary first")
        let root = Self.newRoot()
        let applied = try Self.atlantis(["apply", "-f", "examples"], root: root)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains(#"Deploy "shop-prod" created"#))

        let diffClean = try Self.atlantis(["diff", "-f", "examples"], root: root)
        #expect(diffClean.status == 0)
        #expect(diffClean.stdout.contains("no changes (16 documents unchanged)"))

        let table = try Self.atlantis(["get", "deploys"], root: root)
        #expect(table.status == 0)
        #expect(table.stdout.contains("shop-prod"))
        #expect(table.stdout.split(separator: "\n").count == 4)

        let yaml = try Self.atlantis(["get", "app", "shop", "-o", "yaml"], root: root)
        #expect(yaml.status == 0)
        #expect(yaml.stdout.contains("kind: App"))
        #expect(yaml.stdout.contains("generation: 1"))

        // Edit what `get` printed and apply it back: the generation it carries is checked.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let edited = yaml.stdout.replacingOccurrences(of: "port: 8080", with: "port: 9090")
        try edited.write(to: dir.appendingPathComponent("shop.yaml"), atomically: true, encoding: .utf8)

        let diff = try Self.atlantis(["diff", "-f", dir.path], root: root)
        #expect(diff.status == 1)
        #expect(diff.stdout.contains(#"~ update App "shop""#))
        let changed = diff.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("- ") || $0.hasPrefix("+ ") }
        #expect(changed.map { $0.replacingOccurrences(of: " ", with: "") } == [#"-"port":8080,"#, #"+"port":9090,"#])

        #expect(try Self.atlantis(["apply", "-f", dir.path], root: root).status == 0)
        // Applying the same stale copy with a different change now conflicts (exit 3).
        try edited.replacingOccurrences(of: "port: 9090", with: "port: 7070")
            .write(to: dir.appendingPathComponent("shop.yaml"), atomically: true, encoding: .utf8)
        let stale = try Self.atlantis(["apply", "-f", dir.path], root: root)
        #expect(stale.status == 3)
        #expect(stale.stderr.contains("you applied generation 1, but it is at generation 2"))

        let refused = try Self.atlantis(["delete", "app", "shop"], root: root)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("still refer"))
        let missing = try Self.atlantis(["delete", "zone", "nowhere"], root: root)
        #expect(missing.status == 5)
        #expect(try Self.atlantis(["delete", "route", "gateway"], root: root).status == 0)
    }

    @Test func invalidInputExitsTwoAndNamesFileDocumentAndField() throws {
        let root = Self.newRoot()
        let run = try Self.atlantis(["apply", "-f", "Tests/Fixtures/invalid/negative-instances.yaml"], root: root)
        #expect(run.status == 2)
        #expect(
            run.stderr.contains(
                #"Tests/Fixtures/invalid/negative-instances.yaml: document 1 (Deploy "web-prod"): spec.instances: must be >= 0 (got -1)"#
            )
        )
        #expect(run.stderr.contains("nothing was written"))
        let badRoot = try Self.atlantis(["manager", "--listen", "127.0.0.1:1"], root: "relative/root")
        #expect(badRoot.status != 0)
        #expect(badRoot.stderr.contains("invalid root"))
    }

    /// A manager that cannot be reached is exit 4 at once (not after the answer timeout), and says
    /// where it looked.
    @Test func unreachableManagerExitsFour() throws {
        let port = Loopback.freePort()
        let started = ContinuousClock.now
        let (status, _, stderr) = Spawn.run3([
            Self.binary, "get", "apps", "--manager", "http://127.0.0.1:\(port)", "--timeout", "30",
        ])
        #expect(status == 4)
        #expect(ContinuousClock.now - started < .seconds(10), "it retried the connection until the timeout")
        #expect(stderr.contains("the manager at http://127.0.0.1:\(port) is unreachable"), "\(stderr)")
    }

    /// SIGTERM while ZooKeeper is still unreachable stops the scheduler gracefully (exit 0, well
    /// before the 10 s connect timeout); it used to die of the signal, before its service group
    /// handled signals.
    @Test func aSchedulerStoppedWhileConnectingExitsCleanly() throws {
        let log = "/tmp/atl-sched-\(getpid()).log"
        defer { unlink(log) }
        let started = ContinuousClock.now
        let pid = TestProcesses.spawn(
            [Self.binary, "scheduler", "--zk", "127.0.0.1:\(Loopback.freePort())", "--root", Self.newRoot()],
            stdout: log,
            stderr: log
        )
        usleep(1_500_000)
        kill(pid, SIGTERM)
        let status = Spawn.wait(pid)
        #expect(status == 0, "\(Spawn.read(log))")
        #expect(ContinuousClock.now - started < .seconds(8), "it waited for the connect timeout")
        #expect(!Spawn.read(log).contains("Fatal error"))
    }

    /// Without a dockerd the supervisor says so and exits 64; it used to trap in its HTTP client's
    /// deinit first. Ports in the kernel's ephemeral range are warned about before that.
    @Test func aSupervisorWithoutDockerdSaysSo() throws {
        let run = try Self.atlantis(
            [
                "supervisor", "--host-id", "h1", "--zone", "z1", "--ports", "32000-32999", "--docker-socket",
                "/nonexistent/docker.sock",
            ],
            root: Self.newRoot()
        )
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("is dockerd running?"), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"), "\(run.stderr)")
        if (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?.contains("32768")
            == true
        {
            #expect(run.stdout.contains("ports_in_ephemeral_range") || run.stderr.contains("ports_in_ephemeral_range"))
        }
    }

    /// Bad `bench supervisor` options are refused before anything is written to ZooKeeper, each
    /// with a message naming the value. `--wait -3` (a space, not `=`) was read as a missing value.
    @Test(arguments: [
        (["--wait", "0"], "not 0"), (["--wait=-3"], "not -3"), (["--wait", "-3"], "not -3"),
        (["--ports", "5-1"], "not 5-1"),
    ])
    func aBenchSupervisorWithBadOptionsWritesNothing(options: [String], named: String) async throws {
        let root = Self.newRoot()
        try await Self.expectRefused(try Self.bench(["supervisor"] + options, root: root), naming: named, root: root)
    }

    /// A run refused as bad usage (exit 64), its message naming `named`, nothing written under `root`.
    static func expectRefused(_ run: Run, naming named: String, root: String) async throws {
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(named), "the message names the bad value: \(run.stderr)")
        let h = try await Harness.make(root: root)
        #expect(try await h.zk.exists(root) == nil, "nothing may be written under \(root)")
        await h.close()
    }

    /// A manager whose `--dashboard-idle` is not a number of seconds above 0 (at most a year) is
    /// refused before it connects, naming the value; nothing is written.
    @Test(arguments: [
        (["--dashboard-idle=0"], "--dashboard-idle 0.0"), (["--dashboard-idle=-5"], "--dashboard-idle -5.0"),
        (["--dashboard-idle", "nan"], "--dashboard-idle nan"), (["--dashboard-idle", "1e9"], "at most a year"),
    ])
    func aManagerWithABadDashboardIdleWritesNothing(options: [String], named: String) async throws {
        let root = Self.newRoot()
        try await Self.expectRefused(try Self.atlantis(["manager"] + options, root: root), naming: named, root: root)
    }

    /// A `bench supervisor --root` that is not a znode path is refused (exit 64, naming it) before
    /// connecting: nothing is written, not even under the part of it that is a path.
    @Test(arguments: ["relative", "//b", "/b/", "/b/../c"])
    func aBenchSupervisorWithABadRootWritesNothing(shape: String) async throws {
        let base = Self.newRoot()
        let bad = shape == "relative" ? String(base.dropFirst()) : base + shape
        let run = try Self.bench(["supervisor", "--root", bad], root: nil)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("invalid root \"\(bad)\""), "\(run.stderr)")
        let h = try await Harness.make(root: base)
        #expect(try await h.zk.exists(base) == nil, "nothing may be written under \(base)")
        await h.close()
    }

    /// `bench supervisor` that gives up (an image that never answers, with or without dockerd)
    /// says which instance, takes its assignment back, and exits without the HTTP client's
    /// debug-build trap (it left the client un-shut on this path before).
    @Test func aBenchSupervisorThatGivesUpSaysWhyAndCleansUp() async throws {
        let root = Self.newRoot()
        let run = try Self.bench(
            [
                "supervisor", "--instances", "1", "--kills", "0", "--wait", "2", "--image", "atlantis/never-built:v0",
                "--ports", "24950-24959",
            ],
            root: root
        )
        #expect(run.status != 0, "\(run.stdout)")
        #expect(run.stderr.contains("instance bench-0 did not answer within 2 s"), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"), "\(run.stderr)")
        let h = try await Harness.make(root: root)
        let hosts = try await h.zk.children(h.tree.assignments)
        #expect(hosts.count == 1, "the bench's supervisor host folder: \(hosts)")
        for host in hosts {
            #expect(try await h.zk.children(h.tree.assignments(host: host)).isEmpty, "assignments left under \(host)")
        }
        await h.close()
    }
}

@Suite("atlantis supervisor options")
struct SupervisorOptionTests {
    /// A bad `--ports` is refused before the supervisor touches ZooKeeper or dockerd. "a-5-10" and
    /// "5-1" were read as 5-10 and a trap (an inverted range) before the parse was shared and strict.
    @Test(arguments: ["5-1", "0-10", "a-5-10", "100", "1-70000", "-5", "5-", "31000-31999x"])
    func badPortsAreRefusedAndNothingIsWritten(ports: String) async throws {
        let root = CLITests.newRoot()
        let run = try CLITests.atlantis(
            ["supervisor", "--host-id", "h1", "--zone", "z1", "--ports=\(ports)"],
            root: root
        )
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--ports must be FIRST-LAST within 1-65535, not \(ports)"), "\(run.stderr)")
        let h = try await Harness.make(root: root)
        #expect(try await h.zk.exists(root) == nil, "nothing may be written under \(root)")
        await h.close()
    }

    /// Out-of-range numbers were clamped silently (`--warm-sandboxes -1` ran with none); they are
    /// refused, naming the option and the value, before ZooKeeper or dockerd is touched.
    @Test(arguments: [
        (["--warm-sandboxes=-1"], "--warm-sandboxes must be between 0 (none) and 16, not -1"),
        (["--warm-sandboxes", "100"], "--warm-sandboxes must be between 0 (none) and 16, not 100"),
        (["--stop-grace=-1"], "--stop-grace must be a number of seconds, 0 or more, not -1"),
        (["--containers", "0"], "--containers must be at least 1, not 0"),
        (["--cpu", "0"], "--cpu must be a positive number of cores, not 0.0"),
        (["--memory-mb=-2"], "--memory-mb must be a positive number, not -2"),
    ])
    func outOfRangeNumbersAreRefusedAndNothingIsWritten(arguments: [String], message: String) async throws {
        let root = CLITests.newRoot()
        let run = try CLITests.atlantis(["supervisor", "--host-id", "h1", "--zone", "z1"] + arguments, root: root)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        let h = try await Harness.make(root: root)
        #expect(try await h.zk.exists(root) == nil, "nothing may be written under \(root)")
        await h.close()
    }
}

@Suite("atlantis get shows status")
struct GetStatusTests {
    @Test func aFailingObjectIsVisibleWithGet() async throws {
        let root = CLITests.newRoot()
        #expect(try CLITests.atlantis(["apply", "-f", "examples"], root: root).status == 0)
        let h = try await Harness.make(root: root)
        let status =
            #"{"apiVersion":"atlantis/v1","kind":"Status","observedGeneration":1,"reconciler":"scheduler","#
            + #""conditions":[{"type":"Ready","status":"False","reason":"InsufficientCapacity","message":"2/6 placed","lastTransitionTime":"2026-01-01T00:00:00Z"}],"#
            + #""lastError":"no supervisor in zone eu-west-1c"}"#
        try await h.zk.create(h.tree.status(DocumentKey(kind: .deploy, name: "shop-prod")), data: Array(status.utf8))
        await h.close()
        let run = try CLITests.atlantis(["get", "deploys"], root: root)
        #expect(run.status == 0)
        let line = run.stdout.split(separator: "\n").first { $0.contains("shop-prod") } ?? ""
        #expect(line.contains("False (InsufficientCapacity)"))
        #expect(line.contains("error: no supervisor in zone eu-west-1c"))
        let other = run.stdout.split(separator: "\n").first { $0.contains("checkout-prod") } ?? ""
        #expect(other.contains(" - "))
    }
}

@Suite("atlantis router options")
struct RouterOptionTests {
    @Test(arguments: [
        (["--scheduling", "fast"], "--scheduling must be batch or normal, not fast"),
        (["--engine", "uring"], "--engine must be nio or epoll, not uring"),
        (["--control-scheduling", "idle"], "--control-scheduling must be batch or normal, not idle"),
        (["--max-header-bytes", "100"], "--max-header-bytes must be at least 1024"),
        (["--idle-timeout", "0"], "--idle-timeout must be a positive number of seconds"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--max-idle-per-backend=-1"], "--max-idle-per-backend must not be negative"),
        (["--control-nice", "40"], "--control-nice must be a nice value from 0 (unchanged) to 19, not 40"),
        (["--control-nice=-1"], "--control-nice must be a nice value from 0 (unchanged) to 19, not -1"),
        (["--lost-grace=-5"], "--lost-grace must be a number of seconds, 0 or more, not -5"),
        (["--malloc-arenas=-1"], "--malloc-arenas must be 0 (glibc's default) or more, not -1"),
    ])
    func badRouterOptionsAreRefusedBeforeAnythingStarts(arguments: [String], message: String) throws {
        let options = ["--listen", "127.0.0.1:1", "--state-dir", "/nonexistent/x"] + arguments
        // `atlantis router` and the router's own binary take the same options the same way.
        for (command, binary) in [(["router"] + options, CLITests.binary), (options, CLITests.routerBinary)] {
            let run = try CLITests.atlantis(command, root: CLITests.newRoot(), binary: binary)
            #expect(run.status == 64, "\(binary): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(binary): \(run.stderr)")
            // Refused before starting: nothing was written, not even the state folder.
            #expect(!FileManager.default.fileExists(atPath: "/nonexistent/x"))
        }
    }

    /// The router's threads share an allocator arena per core (`RouterService.arenaLimit`):
    /// glibc reserves 64 MiB of address space for each arena past the first, so they show in
    /// the process's mappings. Its event loops (8 here) and other threads all start after the
    /// limit is set; without it each got an arena of its own (15 in a router on 2 cores).
    @Test func theRoutersThreadsShareAnAllocatorArenaPerCore() async throws {
        #if os(Linux)
        let router = try await CLITests.startRouter(["--threads", "8"], ownBinary: true)
        defer { router.stop() }
        let shared = try Self.arenas(of: router.process.processIdentifier)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(shared <= cores - 1, "\(shared) arenas besides the main one on \(cores) cores")
        let one = try await CLITests.startRouter(["--threads", "8", "--malloc-arenas", "1"], ownBinary: true)
        defer { one.stop() }
        #expect(try Self.arenas(of: one.process.processIdentifier) == 0, "--malloc-arenas 1: the main one alone")
        // glibc's default, asked for: the limit is what made the difference.
        let own = try await CLITests.startRouter(["--threads", "8", "--malloc-arenas", "0"], ownBinary: true)
        defer { own.stop() }
        let separate = try Self.arenas(of: own.process.processIdentifier)
        #expect(separate >= 4 && separate > shared, "\(separate) arenas besides the main one with --malloc-arenas 0")
        #endif
    }

    /// The allocator arenas of process `pid` besides the main one. glibc reserves 64 MiB of
    /// address space for each, starting on a 64 MiB boundary: its used part (rw-p), then the rest
    /// (---p), both anonymous.
    static func arenas(of pid: Int32) throws -> Int {
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        let regions = maps.split(separator: "\n").compactMap { line -> (start: UInt, end: UInt, rights: Substring)? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 5, let dash = fields[0].firstIndex(of: "-"),
                let start = UInt(fields[0][..<dash], radix: 16),
                let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16)
            else { return nil }
            return (start, end, fields[1])
        }
        let arenaSize: UInt = 64 << 20
        return zip(regions, regions.dropFirst()).count { used, rest in
            used.start % arenaSize == 0 && used.rights == "rw-p" && rest.rights == "---p" && used.end == rest.start
                && rest.end - used.start == arenaSize
        }
    }

    /// `atlantis-router` is a router: it serves its admin port (`startRouter` waits for it), answers
    /// with a table, and says in its usage line that it takes the options alone.
    @Test func theRoutersOwnBinaryRunsTheRouter() async throws {
        let router = try await CLITests.startRouter(ownBinary: true)
        defer { router.stop() }
        let url = "http://127.0.0.1:\(router.admin)/health"
        #expect(
            await eventually(.seconds(15)) {
                String(decoding: Loopback.curl(url).body, as: UTF8.self).contains(#""zookeeper":"connected""#)
            },
            "\(String(decoding: Loopback.curl(url).body, as: UTF8.self))"
        )
        let help = try CLITests.atlantis(["--help"], root: nil, binary: CLITests.routerBinary)
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: atlantis-router <options>"), "\(help.stdout)")
        #expect(help.stdout.contains("--lost-grace"))
        let subcommand = try CLITests.atlantis(["router"], root: nil, binary: CLITests.routerBinary)
        #expect(subcommand.status == 64)
        #expect(subcommand.stderr.contains("Unexpected argument 'router'"), "\(subcommand.stderr)")
    }

    /// A proxied request takes well under a millisecond: the latency histogram on the admin port
    /// must resolve that (the metrics backend's default buckets start at 5 ms).
    @Test func theLatencyHistogramResolvesSubMillisecondRequests() async throws {
        let router = try await CLITests.startRouter()
        defer { router.stop() }
        let url = "http://127.0.0.1:\(router.admin)/metrics"
        let metrics = String(decoding: Loopback.curl(url).body, as: UTF8.self)
        for bound in ["0.0001", "0.00025", "0.0005", "0.001", "0.005", "10.0"] {
            #expect(
                metrics.contains(#"atlantis_router_request_duration_seconds_bucket{le="\#(bound)"}"#),
                "no bucket \(bound)"
            )
        }
    }
}
