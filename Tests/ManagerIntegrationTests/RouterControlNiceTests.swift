import Foundation
import TestSupport
import Testing
import ZooKeeper

/// `atlantis router --control-nice N`: the proxy's event loops keep the process's priority, every
/// other thread (ZooKeeper's, the task pool's, NIO's singleton loops) runs at nice N, so a route change
/// waits for busy loops instead of preempting them (bench/RESULTS.md, the router under churn).
@Suite("atlantis router --control-nice")
struct RouterControlNiceTests {
    /// Each thread of `pid`: its name and its nice value (`/proc/<pid>/task/<tid>/stat`, field 19;
    /// the name may hold spaces and parentheses, so the fields are counted after the last ')').
    static func threads(of pid: Int32) -> [(name: String, nice: Int, policy: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            guard
                let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                let name = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After ")": state(3) ppid(4) … priority(18) nice(19) … policy(41): nice is the 17th
            // field from here, the scheduling policy the 39th (0 normal, 3 batch).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 38, let nice = Int(fields[16]), let policy = Int(fields[38]) else { return nil }
            return (name.trimmingCharacters(in: .whitespacesAndNewlines), nice, policy)
        }
    }

    @Test func everyThreadButTheEventLoopsRunsAtTheControlNiceValue() async throws {
        let router = try await CLITests.startRouter(["--threads", "2", "--control-nice", "7"])
        defer { router.stop() }
        let url = "http://127.0.0.1:\(router.admin)/metrics"
        let pid = router.process.processIdentifier
        // The router starts at this process's nice value (0 unless the tests themselves are niced).
        let base = Self.threads(of: ProcessInfo.processInfo.processIdentifier).first?.nice ?? 0
        let control = max(7, base)
        // The proxy's loops (the epoll engine's, the default); NIO's singleton loops, which serve
        // the admin port, are among the others.
        let loops = { Self.threads(of: pid).filter { $0.name.hasPrefix("epoll-loop-") } }
        let others = { Self.threads(of: pid).filter { !$0.name.hasPrefix("epoll-loop-") } }
        // The first pass runs once the loops are up; threads made later are caught within 5 s.
        #expect(await eventually(.seconds(10)) { others().allSatisfy { $0.nice == control } }, "\(others())")
        #expect(loops().count == 2, "the two event loops: \(loops())")
        #expect(loops().allSatisfy { $0.nice == base }, "\(loops())")
        // Proxying and answering the admin port use the loops: still at the base value after serving.
        #expect(Loopback.curl(url).status == 200)
        #expect(loops().allSatisfy { $0.nice == base }, "\(loops())")
        #expect(others().count >= 2, "ZooKeeper's threads and the task pool's: \(others())")
    }

    /// `--control-scheduling batch` (the default): the same threads also run as SCHED_BATCH;
    /// with `normal` they keep the normal policy.
    @Test(arguments: [true, false])
    func controlSchedulingBatchMakesTheOtherThreadsBatch(batch: Bool) async throws {
        let router = try await CLITests.startRouter(
            ["--threads", "2", "--scheduling", "normal"] + (batch ? [] : ["--control-scheduling", "normal"])
        )
        defer { router.stop() }
        let pid = router.process.processIdentifier
        let loops = { Self.threads(of: pid).filter { $0.name.hasPrefix("epoll-loop-") } }
        let others = { Self.threads(of: pid).filter { !$0.name.hasPrefix("epoll-loop-") } }
        let policy = batch ? 3 : 0
        #expect(await eventually(.seconds(10)) { others().allSatisfy { $0.policy == policy } }, "\(others())")
        #expect(loops().count == 2 && loops().allSatisfy { $0.policy == 0 }, "the loops keep theirs: \(loops())")
    }
}
