import Foundation
import Manager
import Testing
import ZKModel
import ZooKeeper

@Suite("releases are pruned")
struct ReleasePruneTests {
    /// Only the newest releases are kept, and besides them every release the Deploy still uses:
    /// its placement's instances, target and stable release, and its pointer.
    @Test func theNewestReleasesAndThoseInUseAreKept() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        var manager = h.manager
        manager.releasePolicy = .init(keep: 3)
        try await manager.apply(try h.load(yaml: AuditPruneTests.app(port: 8080)), options: .init())
        func deploy(_ n: Int) async throws {
            _ = try await manager.changeDeploy(app: "a", environment: "prod") { spec in
                var spec = spec ?? DeploySpec(app: "a", environment: "prod", instances: 1)
                spec.image = "registry.test/a:\(n)"
                return spec
            }
        }
        for n in 1...3 { try await deploy(n) }
        // The scheduler's record: an instance still on release 2, release 1 the stable one.
        var placement = Placement(deploy: "a-prod")
        placement.instances = [.init(id: "i1", host: "h", zone: "z", release: 2)]
        placement.stable = 1
        try await h.zk.ensurePath(h.tree.placements)
        try await h.zk.create(h.tree.placement(deploy: "a-prod"), data: try Payload.encode(placement))
        for n in 4...8 { try await deploy(n) }
        let kept = try await manager.releases("a-prod").map(\.number)
        #expect(kept == [1, 2, 6, 7, 8])
        #expect(try await manager.currentRelease("a-prod") == 8)
        // The next release is numbered on from the pointer, not from what is left.
        try await deploy(9)
        #expect(try await manager.releases("a-prod").map(\.number) == [1, 2, 7, 8, 9])
        // Undo to a release that is gone says so.
        let error = await managerError { _ = try await manager.undo(deploy: "a-prod", to: 4) }
        #expect(error?.message.contains("has no release 4") == true)
    }
}
