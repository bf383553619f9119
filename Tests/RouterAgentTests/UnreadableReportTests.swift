import Foundation
import Manager
import RouterAgent
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// An instance report written behind the supervisors' back (one that does not parse) does not
/// take its instance out: the router keeps routing its last valid version, names it in its
/// report, and takes the next valid version; a report that never parsed is routed by no one.
@Suite(.serialized)
struct UnreadableReportTests {
    @Test func aReportThatDoesNotParseKeepsItsLastValidVersionAndIsReported() async throws {
        let rig = RouterRig()
        let i1 = try rig.backend("i1")
        let i2 = try rig.backend("i2")
        try await rig.startProxy()
        let zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        let tree = try ZNodeTree(root: "/routertest-\(UUID().uuidString.prefix(8).lowercased())")
        let manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        try await manager.apply(try RouterAgentTests.yaml(RouterRig.webApp), options: .init())
        let statePath = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString).json")
            .path
        rig.startAgent(zk: zk, tree: tree, statePath: statePath)
        try await zk.ensurePath(tree.supervisors)
        try await zk.create(tree.supervisor("h1"), data: Array(#"{"id":"h1"}"#.utf8), mode: .ephemeral)
        let session = InstanceStatus.session(zk.sessionID)
        func write(_ id: String, _ body: String) async throws {
            try await zk.upsert("\(tree.instanceStatus)/\(id)", data: Array(body.utf8))
        }
        func valid(port: Int) -> String {
            #"{"apiVersion":"atlantis/v1","kind":"InstanceStatus","app":"web","environment":"prod","host":"127.0.0.1","port":\#(port),"healthy":true,"supervisor":"h1","session":"\#(session)"}"#
        }
        func unreadable() async throws -> [String: String] {
            let data = try await zk.getData("\(tree.routers)/r1").data
            return try JSONDecoder().decode(RouterReport.self, from: Data(data)).unreadable ?? [:]
        }
        func answers() -> Set<String> {
            Set((0..<6).compactMap { _ in try? rig.get("/x", host: "web.test").1 })
        }

        try await write("web-1", valid(port: i1))
        #expect(await eventually { try rig.get("/x", host: "web.test").1 == "i1 /x\n" })

        // A port that is not a number, and a report that never parsed beside it.
        let notANumber = valid(port: i2).replacingOccurrences(of: "\"port\":\(i2)", with: "\"port\":\"eighty\"")
        try await write("web-1", notANumber)
        try await write("web-2", #"{"apiVersion":"atlantis/v1","kind":"InstanceStatus","app":"web"}"#)
        let both = ["instances/web-1", "instances/web-2"]
        #expect(await eventually { (try? await unreadable().keys.sorted()) == both })
        let problem = try #require(try await unreadable()["instances/web-1"])
        #expect(problem.contains("port"), "the report names what is wrong: \(problem)")
        #expect(answers() == ["i1 /x\n"], "the last valid version is routed, the never-valid one is not")

        // Repaired: its new version is routed; the other one deleted: nothing is reported.
        try await write("web-1", valid(port: i2))
        try await zk.delete("\(tree.instanceStatus)/web-2")
        #expect(await eventually { try rig.get("/x", host: "web.test").1 == "i2 /x\n" })
        #expect(await eventually { (try? await unreadable()) == [:] })
        #expect(answers() == ["i2 /x\n"])
        await rig.stop()
        await zk.close()
    }
}
