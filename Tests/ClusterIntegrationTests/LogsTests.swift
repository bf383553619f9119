import Foundation
import Manager
import ManagerAPI
import ManagerService
import Synchronization
import TestSupport
import Testing
import ZKModel

/// `atlantis logs` underneath: every supervisor serves its containers' output (Docker's logs
/// API), the manager's relay merges it. Real dockerd, ZooKeeper and containers in two zones.
@Suite("container logs", .serialized)
struct LogsTests {
    final class Lines: Sendable {
        let entries = Mutex<[LogEntry]>([])
        func add(_ more: [LogEntry]) { entries.withLock { $0 += more } }
        var all: [LogEntry] { entries.withLock { $0 } }
    }

    @Test func linesFromBothZonesInTimeOrderAndFollowedAcrossARollout() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24900 + i * 20)...(24919 + i * 20))
            }
            try await rig.startScheduler()
            try await rig.startRouter()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 2)
            )
            try await rig.apply(ClusterRig.route)
            #expect(try await rig.rolledOut(1) == .done)
            let relay = LogRelay(zk: rig.admin, tree: rig.tree, watcher: rig.watcher)

            // The past: both instances' first line, tagged with their zones, in time order.
            let past = Lines()
            let request = LogRelay.Request(
                app: "sample",
                environment: "prod",
                instance: nil,
                since: nil,
                tail: nil,
                follow: false
            )
            let listening = await eventually(.seconds(10)) {
                try await relay.run(request) { past.add($0) }
                let zones = Set(past.all.filter { $0.line.contains("sample v1 listening") }.compactMap(\.zone))
                if zones != ["za", "zb"] { _ = past.entries.withLock { $0.removeAll() } }
                return zones == ["za", "zb"]
            }
            #expect(listening, "lines from both zones: \(past.all.map(\.line))")
            let times = past.all.map(\.time)
            #expect(times == times.sorted(), "merged in time order")
            #expect(past.all.allSatisfy { $0.instance != nil && $0.stream == "stdout" || $0.stream == "stderr" })
            #expect(
                past.all.contains { $0.stream == "stderr" && $0.line.contains("response:200") },
                "httpd's request log"
            )

            // The last 3 lines of all instances together.
            let tail = Lines()
            var last = request
            last.tail = 3
            try await relay.run(last) { tail.add($0) }
            #expect(tail.all.count == 3)

            // One instance only.
            let one = try #require(past.all.first?.instance)
            let only = Lines()
            var single = request
            single.instance = one
            try await relay.run(single) { only.add($0) }
            #expect(!only.all.isEmpty && only.all.allSatisfy { $0.instance == one })

            // Following across a rolling update: the new instances join, the old ones leave.
            let followed = Lines()
            var live = request
            live.follow = true
            live.tail = 0
            let follower = Task { try? await relay.run(live) { followed.add($0) } }
            try await Task.sleep(for: .milliseconds(500))
            try await rig.apply(ClusterRig.deploy(image: "atlantis/sample:v2", instances: 2))
            #expect(try await rig.rolledOut(2) == .done)
            let joined = await eventually(.seconds(20)) {
                let all = followed.all
                let newZones = Set(all.filter { $0.line.contains("sample v2 listening") }.compactMap(\.zone))
                return newZones == ["za", "zb"]
            }
            follower.cancel()
            await follower.value
            #expect(
                joined,
                "v2's instances joined: \(followed.all.filter { $0.notice == true || $0.line.contains("listening") }.map { "\($0.time) \($0.instance ?? "-") \($0.zone ?? "-") \($0.line)" })"
            )
            #expect(followed.all.filter { $0.notice == true && $0.line.contains("joined") }.count == 2)
            #expect(!followed.all.contains { $0.line.contains("sample v1 listening") }, "tail 0: no old lines")
        }
    }
}
