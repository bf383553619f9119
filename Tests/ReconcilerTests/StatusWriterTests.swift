import Foundation
import Reconciler
import Testing
import ZKModel
import ZooKeeper

@Suite struct StatusWriterTests {
    @Test func statusIsSeparateFromSpecAndKeepsTransitionTimes() async throws {
        let zk = try await TestZK.connect()
        let tree = try ZNodeTree(root: TestZK.uniqueRoot("status"))
        let key = DocumentKey(kind: .deploy, name: "web-prod")
        try await zk.ensurePath(tree.desired(.deploy))
        try await zk.create(tree.desired(key), data: Array("{}".utf8))
        let writer = StatusWriter(zk: zk, tree: tree, reconciler: "scheduler")
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        try await writer.write(
            key,
            observedGeneration: 1,
            conditions: [.init(type: "Ready", status: "False", reason: "Placing", message: "0/3 placed")],
            now: t0
        )
        try await writer.write(
            key,
            observedGeneration: 2,
            conditions: [.init(type: "Ready", status: "False", reason: "Placing", message: "1/3 placed")],
            now: t0.addingTimeInterval(60)
        )
        let status = try #require(try await writer.read(key))
        #expect(status.observedGeneration == 2)
        #expect(status.condition("Ready")?.message == "1/3 placed")
        #expect(status.condition("Ready")?.lastTransitionTime == "1970-01-12T13:46:40Z")  // unchanged status keeps it
        try await writer.write(
            key,
            observedGeneration: 2,
            conditions: [.init(type: "Ready", status: "True", reason: "Converged")],
            lastError: nil,
            now: t0.addingTimeInterval(120)
        )
        #expect(try await writer.read(key)?.condition("Ready")?.lastTransitionTime == "1970-01-12T13:48:40Z")
        // The spec's generation (its data version) did not move.
        #expect(try await zk.getData(tree.desired(key)).stat.version == 0)
        // What was written is valid against schemas/status.schema.json.
        let raw = try JSONValue.parse(Data(try await zk.getData(tree.status(key)).data))
        #expect(SchemaValidator.embedded.validate(raw, against: "status.schema.json").isEmpty)
        await zk.close()
    }
}
