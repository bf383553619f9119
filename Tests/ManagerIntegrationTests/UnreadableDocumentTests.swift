import Foundation
import Manager
import Testing
import ZKModel
import ZooKeeper

/// A document written straight to ZooKeeper that does not read (behind the manager's back) blocks
/// only the changes that involve it: they are refused naming it and what is wrong; every other
/// change goes ahead.
@Suite("A stored document that does not read", .serialized)
struct UnreadableDocumentTests {
    static let base = """
        apiVersion: atlantis/v1
        kind: Service
        metadata: {name: db}
        spec: {endpoints: [{host: 10.0.0.1, port: 5432}]}
        ---
        apiVersion: atlantis/v1
        kind: Route
        metadata: {name: db-admin}
        spec: {host: db.test, pool: {service: db}}
        """

    static func service(_ name: String) -> String {
        "apiVersion: atlantis/v1\nkind: Service\nmetadata: {name: \(name)}\nspec: {endpoints: [{host: 10.0.0.2, port: 80}]}\n"
    }

    @Test func blocksOnlyTheChangesThatInvolveIt() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load(yaml: Self.base), options: .init())
        let bad =
            #"{"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"broken"},"spec":{"host":"x.test","pool":{"service":"db"},"weight":3}}"#
        try await h.zk.create(h.tree.desired(DocumentKey(kind: .route, name: "broken")), data: Array(bad.utf8))

        // Elsewhere in the tree: applied as usual.
        try await h.manager.apply(try h.load(yaml: Self.service("cache")), options: .init())
        #expect(try await h.manager.get(.service, name: "cache").count == 1)

        // Writing the unreadable document itself: refused, naming it and what is wrong; nothing written.
        let before = try await h.dump()
        let writing = await managerError {
            try await h.manager.apply(
                try h.load(
                    yaml:
                        "apiVersion: atlantis/v1\nkind: Route\nmetadata: {name: broken}\nspec: {host: x.test, pool: {service: db}}\n"
                ),
                options: .init()
            )
        }
        #expect(writing?.code == .invalidInput)
        #expect(
            writing?.message.contains("routes/broken holds an invalid document") == true,
            "\(writing?.message ?? "")"
        )
        #expect(writing?.message.contains("weight") == true)
        // A refusal for another reason names it too (a reference to it would look missing).
        let dangling = await managerError {
            try await h.manager.apply(
                try h.load(
                    yaml:
                        "apiVersion: atlantis/v1\nkind: Route\nmetadata: {name: r2}\nspec: {host: y.test, pool: {service: nope}}\n"
                ),
                options: .init()
            )
        }
        #expect(
            dangling?.message.contains(#"repair or delete them: Route "broken")"#) == true,
            "\(dangling?.description ?? "")"
        )
        #expect(try await h.dump() == before, "a refused change wrote nothing")

        // A listing of its kind does not silently leave it out.
        let listing = await managerError { _ = try await h.manager.get(.route) }
        #expect(listing?.message.contains("routes/broken") == true)
        await h.close()
    }
}
