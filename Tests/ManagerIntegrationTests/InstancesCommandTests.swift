import Foundation
import Testing
import ZKModel
import ZooKeeper

/// `atlantis instances` tells a report its supervisor's live session wrote from one left behind.
@Suite("atlantis instances")
struct InstancesCommandTests {
    @Test func aReportNotConfirmedByTheSupervisorsLiveSessionIsShownStale() async throws {
        let root = CLITests.newRoot()
        let h = try await Harness.make(root: root)
        let tree = h.tree
        try await h.zk.ensurePath(tree.supervisors)
        try await h.zk.create(tree.supervisor("h1"), data: Array(#"{"id":"h1"}"#.utf8), mode: .ephemeral)
        try await h.zk.ensurePath(tree.instanceStatus)
        for (id, session) in [("web-live", InstanceStatus.session(h.zk.sessionID)), ("web-left", "deadbeef")] {
            var status = InstanceStatus(app: "web", environment: "prod", host: "127.0.0.1", port: 31000, healthy: true)
            status.supervisor = "h1"
            status.session = session
            try await h.zk.create(tree.instanceStatus(id), data: try Payload.encode(status))
        }
        let run = try CLITests.atlantis(["instances", "web", "--env", "prod"], root: root)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let routed = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { (String($0[0]), String($0[8])) })
        #expect(routed == ["web-live": "yes", "web-left": "stale"], "\(run.stdout)")
        await h.close()
    }
}
