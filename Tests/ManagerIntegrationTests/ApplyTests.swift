import Foundation
import Manager
import Testing
import ZKModel
import ZooKeeper

@Suite("atlantis apply against a real ZooKeeper")
struct ApplyTests {
    @Test func examplesApplyOnAnEmptyTreeAndReapplyingWritesNothing() async throws {
        let h = try await Harness.make()
        let plan = try await h.manager.apply(try h.load("examples"), options: .init())
        #expect(plan.actions.count == 16)
        let apps = try await h.manager.get(.app)
        #expect(apps.map(\.document.name) == ["checkout", "shop"])
        #expect(apps.allSatisfy { $0.document.metadata.generation == 1 && $0.document.metadata.source == "cli" })
        // The stored JSON is the document with its generation.
        let (data, _) = try await h.zk.getData(h.tree.desired(DocumentKey(kind: .deploy, name: "shop-prod")))
        let stored = try JSONValue.parse(Data(data))
        #expect(stored["spec"]?["instances"] == .int(6))
        #expect(stored["metadata"]?["generation"] == .int(1))

        let before = try await h.dump()
        let again = try await h.manager.apply(try h.load("examples"), options: .init())
        #expect(again.actions.isEmpty)
        #expect(again.unchanged.count == 16)
        #expect(try await h.dump() == before)
        await h.close()
    }

    @Test func aChangeBumpsOnlyThatDocumentsGeneration() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load("examples"), options: .init())
        let scaled = try String(contentsOfFile: Harness.path("examples/deploys.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "instances: 6", with: "instances: 9")
        let plan = try await h.manager.apply(try h.load(yaml: scaled, file: "deploys.yaml"), options: .init())
        #expect(plan.actions.map(\.key) == [DocumentKey(kind: .deploy, name: "shop-prod")])
        let deploys = try await h.manager.get(.deploy)
        let generations = Dictionary(
            uniqueKeysWithValues: deploys.map { ($0.document.name, $0.document.metadata.generation) }
        )
        #expect(generations == ["checkout-prod": 1, "shop-prod": 2, "shop-staging": 1])
        await h.close()
    }

    @Test func everyInvalidFixtureLeavesStoredStateUntouched() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load("examples"), options: .init())
        let before = try await h.dump()
        let folder = Harness.path("Tests/Fixtures/invalid")
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(fixtures.count >= 15)
        for fixture in fixtures {
            let error = await managerError {
                // A valid document beside the invalid one must not be written either.
                let loaded =
                    try ManifestLoader().load(paths: ["\(folder)/\(fixture)"])
                    + (try h.load(
                        yaml: "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: extra-zone}\nspec: {region: r}\n"
                    ))
                try await h.manager.apply(loaded, options: .init())
            }
            #expect(error?.code == .invalidInput, "\(fixture): \(String(describing: error))")
        }
        #expect(try await h.dump() == before)
        await h.close()
    }

    @Test func danglingReferencesAgainstStoredStateAreRefused() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load("examples/teams.yaml", "examples/zones.yaml"), options: .init())
        // Apps refer to services that are neither stored nor in this apply.
        await #expect(throws: ManagerError.self) {
            try await h.manager.apply(try h.load("examples/apps.yaml"), options: .init())
        }
        try await h.manager.apply(try h.load("examples/services.yaml"), options: .init())
        try await h.manager.apply(try h.load("examples/apps.yaml"), options: .init())
        #expect(try await h.manager.get(.app).count == 2)
        await h.close()
    }

    @Test func pruneDeletesWhatThisSourceNoLongerHoldsAndNothingElse() async throws {
        let h = try await Harness.make()
        let gitops = Manager.ApplyOptions(source: "gitops", prune: true)
        try await h.manager.apply(try h.load("examples"), options: gitops)
        // Someone else's document.
        try await h.manager.apply(
            try h.load(yaml: "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: manual}\nspec: {region: r}\n"),
            options: .init(source: "cli")
        )
        // The repository drops routes and the staging deploy.
        let deploys = try String(contentsOfFile: Harness.path("examples/deploys.yaml"), encoding: .utf8)
            .components(separatedBy: "---\n").filter { !$0.contains("shop-staging") }.joined(separator: "---\n")
        var loaded = try h.load(
            "examples/teams.yaml",
            "examples/zones.yaml",
            "examples/services.yaml",
            "examples/apps.yaml"
        )
        loaded += try h.load(yaml: deploys, file: "deploys.yaml")
        let plan = try await h.manager.apply(loaded, options: gitops)
        let deleted = plan.actions.compactMap { action -> DocumentKey? in
            if case .delete(let s) = action { return s.document.key } else { return nil }
        }
        #expect(
            Set(deleted)
                == Set([
                    DocumentKey(kind: .deploy, name: "shop-staging"), DocumentKey(kind: .route, name: "shop"),
                    DocumentKey(kind: .route, name: "shop-canary"), DocumentKey(kind: .route, name: "shop-checkout"),
                    DocumentKey(kind: .route, name: "gateway"),
                ])
        )
        #expect(try await h.manager.get(.route).isEmpty)
        #expect(try await h.manager.get(.zone).map(\.document.name).contains("manual"))
        await h.close()
    }

    @Test func concurrentAppliesToOneObjectOneWinsTheOthersConflict() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(
            try h.load(yaml: "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: z}\nspec: {region: r0}\n"),
            options: .init()
        )
        // Separate sessions, as separate CLI processes would be.
        var others: [Harness] = []
        for _ in 0..<6 { others.append(try await Harness.make(root: h.tree.root)) }
        let results = await withTaskGroup(of: (String, ManagerError.Code?).self) { group in
            for (i, other) in others.enumerated() {
                group.addTask {
                    let yaml =
                        "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: z, generation: 1}\nspec: {region: r\(i + 1)}\n"
                    let error = await managerError {
                        try await other.manager.apply(try other.load(yaml: yaml), options: .init())
                    }
                    return ("r\(i + 1)", error?.code)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let winners = results.filter { $0.1 == nil }
        #expect(winners.count == 1)
        #expect(results.filter { $0.1 == .conflict }.count == others.count - 1)
        let stored = try await h.manager.get(.zone, name: "z")[0].document
        #expect(stored.spec["region"]?.stringValue == winners.first?.0)
        #expect(stored.metadata.generation == 2)
        for other in others { await other.close() }
        await h.close()
    }

    @Test func racingWritersWithoutGenerationsNeverLoseAWriteSilently() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(
            try h.load(yaml: "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: z}\nspec: {region: r0}\n"),
            options: .init()
        )
        var others: [Harness] = []
        for _ in 0..<6 { others.append(try await Harness.make(root: h.tree.root)) }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for (i, other) in others.enumerated() {
                group.addTask {
                    let yaml = "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: z}\nspec: {region: w\(i)}\n"
                    let error = await managerError {
                        try await other.manager.apply(try other.load(yaml: yaml), options: .init())
                    }
                    return error?.code != .conflict
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let successes = outcomes.filter { $0 }.count
        #expect(successes >= 1)
        // Every success is one generation: none was overwritten without its writer being told.
        let stored = try await h.manager.get(.zone, name: "z")[0].document
        #expect(stored.metadata.generation == 1 + successes)
        for other in others { await other.close() }
        await h.close()
    }

    @Test func deleteIsRefusedWhileReferencedAndWorksOnceFree() async throws {
        let h = try await Harness.make()
        try await h.manager.apply(try h.load("examples"), options: .init())
        await #expect(throws: ManagerError.self) {
            try await h.manager.delete(DocumentKey(kind: .service, name: "card-gateway"))
        }
        try await h.manager.delete(DocumentKey(kind: .route, name: "gateway"))
        try await h.manager.delete(DocumentKey(kind: .route, name: "shop-checkout"))
        try await h.manager.delete(DocumentKey(kind: .deploy, name: "checkout-prod"))
        try await h.manager.delete(DocumentKey(kind: .app, name: "checkout"))
        try await h.manager.delete(DocumentKey(kind: .service, name: "card-gateway"))
        #expect(try await h.manager.get(.service).map(\.document.name) == ["orders-db"])
        let again = await managerError { try await h.manager.delete(DocumentKey(kind: .service, name: "card-gateway")) }
        #expect(again?.code == .notFound)
        await h.close()
    }

    @Test func onlyTheManagersIdentityMayWriteDesiredState() async throws {
        let root = "/acltest-\(UUID().uuidString.prefix(8).lowercased())"
        let managerSide = try await Harness.make(root: root, credentials: ["manager:s3cret"])
        try await managerSide.manager.apply(try managerSide.load("examples/zones.yaml"), options: .init())
        let intruder = try await Harness.make(root: root, credentials: ["agent:other"])
        // Anyone may read.
        #expect(try await intruder.manager.get(.zone).count == 3)
        let refused = await managerError {
            try await intruder.manager.apply(
                try intruder.load(
                    yaml: "apiVersion: atlantis/v1\nkind: Zone\nmetadata: {name: evil}\nspec: {region: r}\n"
                ),
                options: .init()
            )
        }
        #expect(refused?.code == .forbidden, "a foreign identity wrote desired state: \(String(describing: refused))")
        await #expect(throws: ZooKeeperError.self) {
            try await intruder.zk.setData(
                managerSide.tree.desired(DocumentKey(kind: .zone, name: "eu-west-1a")),
                data: []
            )
        }
        #expect(try await managerSide.manager.get(.zone).count == 3)
        await intruder.close()
        await managerSide.close()
    }
}

@Suite("ZooKeeper ACLs of the tree")
struct TreeACLTests {
    @Test func agentsWriteStatusButNotDesiredStateAndStrangersNeither() async throws {
        let root = "/acltree-\(UUID().uuidString.prefix(8).lowercased())"
        let managerZK = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: Harness.hosts, credentials: [.init(secret: "manager:m-pw")])
        )
        let tree = try ZNodeTree(root: root)
        let store = ClusterStore(zk: managerZK, tree: tree, agentCredential: "agent:a-pw")
        try await Manager(store: store).apply(
            try ManifestLoader().load(paths: [Harness.path("examples/zones.yaml")]),
            options: .init()
        )

        let agent = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: Harness.hosts, credentials: [.init(secret: "agent:a-pw")])
        )
        let stranger = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: Harness.hosts, credentials: [.init(secret: "agent:wrong")])
        )
        let statusPath = tree.status(DocumentKey(kind: .zone, name: "eu-west-1a"))
        try await agent.create(statusPath, data: Array("{}".utf8), acl: ACL.creatorAllAnyoneRead)
        try await agent.create("\(tree.agents)/sup-1", mode: .ephemeral, acl: ACL.creatorAllAnyoneRead)
        await #expect(throws: ZooKeeperError(code: .noAuth, path: tree.desired(DocumentKey(kind: .zone, name: "x")))) {
            try await agent.create(tree.desired(DocumentKey(kind: .zone, name: "x")), data: [])
        }
        await #expect(throws: ZooKeeperError(code: .noAuth, path: "\(tree.status(.zone))/eu-west-1b")) {
            try await stranger.create("\(tree.status(.zone))/eu-west-1b", data: [])
        }
        await #expect(throws: ZooKeeperError(code: .noAuth, path: statusPath)) {
            try await stranger.setData(statusPath, data: [])
        }
        // The manager reads the agent's status through the same store.
        try await agent.setData(
            statusPath,
            data: Array(
                #"{"apiVersion":"atlantis/v1","kind":"Status","observedGeneration":1,"reconciler":"scheduler","conditions":[]}"#
                    .utf8
            )
        )
        #expect(try await store.status(DocumentKey(kind: .zone, name: "eu-west-1a"))?.observedGeneration == 1)
        for c in [managerZK, agent, stranger] { await c.close() }
    }
}
