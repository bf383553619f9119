import Foundation
import TestSupport
import Testing
import ZooKeeper

/// `atlantis router --control-nice N`: the event loops keep the process's priority, every other
/// thread (ZooKeeper's, the task pool's, NIO's singleton loops) runs at nice N, so a route change
/// waits for busy loops instead of preempting them (bench/RESULTS.md, the router under churn).
@Suite("atlantis router --control-nice")
struct RouterControlNiceTests {
    /// Each thread of `pid`: its name, its nice value and its scheduling policy
    /// (`/proc/<pid>/task/<tid>/stat`, fields 19 and 41: 0 SCHED_OTHER, 3 SCHED_BATCH; the name
    /// may hold spaces and parentheses, so the fields are counted after the last ')').
    static func threads(of pid: Int32) -> [(name: String, nice: Int, policy: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            guard
                let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                let name = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After ")": state(3) ppid(4) … nice(19) … policy(41): the 17th and 39th fields from here.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 38, let nice = Int(fields[16]), let policy = Int(fields[38]) else { return nil }
            return (name.trimmingCharacters(in: .whitespacesAndNewlines), nice, policy)
        }
    }

    /// And with SCHED_BATCH (`--control-scheduling`, batch by default): here the loops run
    /// `--scheduling normal`, so the two policies tell them apart.
    @Test func everyThreadButTheEventLoopsRunsAtTheControlNiceValue() async throws {
        let router = try await CLITests.startRouter(["--threads", "2", "--control-nice", "7", "--scheduling", "normal"])
        defer { router.stop() }
        let url = "http://127.0.0.1:\(router.admin)/metrics"
        let pid = router.process.processIdentifier
        // The router starts at this process's nice value (0 unless the tests themselves are niced).
        let base = Self.threads(of: ProcessInfo.processInfo.processIdentifier).first?.nice ?? 0
        let control = max(7, base)
        let loops = { Self.threads(of: pid).filter { $0.name.hasPrefix("NIO-ELT-") } }
        let others = { Self.threads(of: pid).filter { !$0.name.hasPrefix("NIO-ELT-") } }
        // The first pass runs once the loops are up; threads made later are caught within 5 s.
        #expect(await eventually(.seconds(10)) { others().allSatisfy { $0.nice == control } }, "\(others())")
        #expect(await eventually(.seconds(10)) { others().allSatisfy { $0.policy == 3 } }, "\(others())")
        #expect(loops().count == 2, "the two event loops: \(loops())")
        #expect(loops().allSatisfy { $0.nice == base && $0.policy == 0 }, "\(loops())")
        // Proxying and answering the admin port use the loops: still at the base value after serving.
        #expect(Loopback.curl(url).status == 200)
        #expect(loops().allSatisfy { $0.nice == base }, "\(loops())")
        #expect(others().count >= 2, "ZooKeeper's threads and the task pool's: \(others())")
    }

    /// `--control-scheduling normal` leaves the policy alone (the nice value is still set).
    @Test func withNormalControlSchedulingTheOtherThreadsKeepTheirPolicy() async throws {
        let router = try await CLITests.startRouter(["--threads", "2", "--control-scheduling", "normal"])
        defer { router.stop() }
        let pid = router.process.processIdentifier
        let base = Self.threads(of: ProcessInfo.processInfo.processIdentifier).first?.nice ?? 0
        let others = { Self.threads(of: pid).filter { !$0.name.hasPrefix("NIO-ELT-") } }
        #expect(await eventually(.seconds(10)) { others().allSatisfy { $0.nice == max(5, base) } }, "\(others())")
        #expect(others().allSatisfy { $0.policy == 0 }, "\(others())")
        let loops = Self.threads(of: pid).filter { $0.name.hasPrefix("NIO-ELT-") }
        #expect(loops.count == 2 && loops.allSatisfy { $0.policy == 3 }, "the loops are batch by default: \(loops)")
    }
}
