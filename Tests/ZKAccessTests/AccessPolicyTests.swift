import Foundation
import Manager
import TestSupport
import Testing
import ZKAccess
import ZKModel
import ZooKeeper

/// The ACL table against a real ZooKeeper: each role writes its own subtree and nothing else;
/// an anonymous session reads desired state and status, never tokens or secrets.
@Suite("ZooKeeper identities per role")
struct AccessPolicyTests {
    let tree = try! ZNodeTree(root: "/acltest-\(UUID().uuidString.prefix(8).lowercased())")
    let folder = NSTemporaryDirectory() + "atlantis-identities-\(UUID().uuidString)"

    func session(_ role: Role?, _ identities: [Role: ZooKeeperIdentity]) async throws -> ZooKeeperClient {
        var configuration = ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts)
        if let role, let identity = identities[role] {
            let policy = AccessPolicy(tree: tree, identity: identity)
            configuration.credentials = [identity.credential]
            configuration.aclPolicy = { policy.acl(for: $0) }
        }
        return try await ZooKeeperClient.connect(configuration)
    }

    /// The ZooKeeper error code `body` fails with, or nil when it succeeds.
    func refusal(_ body: () async throws -> Void) async -> ZooKeeperError.Code? {
        do {
            try await body()
            return nil
        } catch let error as ZooKeeperError {
            return error.code
        } catch {
            return .system
        }
    }

    @Test func identityFilesAreMadeOncePerRoleAndMustBePrivate() throws {
        let made = try ZooKeeperIdentity.generate(in: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(Set(made.keys) == Set(Role.allCases))
        #expect(Set(made.values.map(\.password)).count == Role.allCases.count, "a password per role")
        #expect(try ZooKeeperIdentity.generate(in: folder) == made, "kept when present")
        let path = ZooKeeperIdentity.file(.router, in: folder)
        #expect(try ZooKeeperIdentity.load(path: path) == made[.router])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: ZooKeeperIdentity.Invalid.self) { try ZooKeeperIdentity.load(path: path) }
    }

    @Test func eachRoleWritesOnlyItsOwnSubtree() async throws {
        let identities = try ZooKeeperIdentity.generate(in: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let manager = try await session(.manager, identities)
        let scheduler = try await session(.scheduler, identities)
        let supervisor = try await session(.supervisor, identities)
        let router = try await session(.router, identities)
        let anonymous = try await session(nil, identities)

        // What each role writes in a running cluster.
        let store = ClusterStore(zk: manager, tree: tree)
        try await store.bootstrap()
        let deploy = tree.desired(DocumentKey(kind: .deploy, name: "shop-prod"))
        try await manager.create(deploy, data: Array("{}".utf8))
        try await manager.ensurePath(tree.tokens)
        try await manager.create(tree.token(hash: "abc"), data: Array("{\"secret\":1}".utf8))
        try await manager.ensurePath(tree.secrets(app: "shop"))
        try await manager.create(tree.secrets(app: "shop", environment: "prod"), data: Array("sealed".utf8))
        let assignment = tree.assignment(host: "h1", instance: "i1")
        try await scheduler.ensurePath(tree.assignments(host: "h1"))
        try await scheduler.create(assignment, data: Array("{}".utf8))
        try await scheduler.create(tree.placement(deploy: "shop-prod"), data: Array("{}".utf8))
        try await scheduler.ensurePath(tree.status(.deploy))
        try await scheduler.create(tree.status(DocumentKey(kind: .deploy, name: "shop-prod")), data: Array("{}".utf8))
        try await supervisor.create(tree.instanceStatus("i1"), data: Array("{}".utf8))
        try await supervisor.setData(tree.instanceStatus("i1"), data: Array("{\"healthy\":true}".utf8))
        try await supervisor.create(tree.supervisor("h1"), data: Array("{}".utf8), mode: .ephemeral)
        try await router.create(tree.router("r1"), data: Array("{}".utf8), mode: .ephemeral)
        // A supervisor may make its own (empty) assignments folder, and watch it.
        try await supervisor.ensurePath(tree.assignments(host: "h2"))
        #expect(try await anonymous.getData(deploy).data == Array("{}".utf8), "the world reads desired state")

        // Forged writes, straight to ZooKeeper.
        let forged: [(String, ZooKeeperClient, () async throws -> Void)] = [
            (
                "anonymous creates a Deploy", anonymous,
                { try await anonymous.create(tree.desired(DocumentKey(kind: .deploy, name: "evil")), data: []) }
            ),
            ("anonymous changes a Deploy", anonymous, { try await anonymous.setData(deploy, data: Array("{}".utf8)) }),
            ("anonymous reads a token", anonymous, { _ = try await anonymous.getData(tree.token(hash: "abc")) }),
            ("anonymous lists tokens", anonymous, { _ = try await anonymous.children(tree.tokens) }),
            (
                "anonymous reads secrets", anonymous,
                { _ = try await anonymous.getData(tree.secrets(app: "shop", environment: "prod")) }
            ),
            (
                "anonymous writes an assignment", anonymous,
                { try await anonymous.create(tree.assignment(host: "h1", instance: "x"), data: []) }
            ),
            (
                "a supervisor writes a Deploy", supervisor,
                { try await supervisor.setData(deploy, data: Array("{}".utf8)) }
            ),
            (
                "a supervisor creates a Deploy", supervisor,
                { try await supervisor.create(tree.desired(DocumentKey(kind: .deploy, name: "evil")), data: []) }
            ),
            (
                "a supervisor writes an assignment", supervisor,
                { try await supervisor.create(tree.assignment(host: "h1", instance: "x"), data: []) }
            ),
            ("a supervisor changes an assignment", supervisor, { try await supervisor.setData(assignment, data: []) }),
            (
                "a supervisor deletes a placement", supervisor,
                { try await supervisor.delete(tree.placement(deploy: "shop-prod")) }
            ),
            ("a supervisor reads a token", supervisor, { _ = try await supervisor.getData(tree.token(hash: "abc")) }),
            (
                "a router writes an instance's status", router,
                { try await router.setData(tree.instanceStatus("i1"), data: []) }
            ),
            (
                "a router writes a Deploy's status", router,
                { try await router.create(tree.status(DocumentKey(kind: .deploy, name: "x")), data: []) }
            ),
            (
                "a router registers a supervisor", router,
                { try await router.create(tree.supervisor("h9"), data: [], mode: .ephemeral) }
            ),
            ("a router writes a release", router, { try await router.create(tree.releases(deploy: "x"), data: []) }),
            (
                "the scheduler writes a Deploy", scheduler,
                { try await scheduler.setData(deploy, data: Array("{}".utf8)) }
            ),
            (
                "the scheduler writes an audit record", scheduler,
                { try await scheduler.create(tree.auditRecordPrefix, data: [], mode: .persistentSequential) }
            ),
            (
                "the scheduler reads secrets", scheduler,
                { _ = try await scheduler.getData(tree.secrets(app: "shop", environment: "prod")) }
            ),
            (
                "the scheduler writes a router report", scheduler,
                { try await scheduler.create(tree.router("r9"), data: [], mode: .ephemeral) }
            ),
        ]
        for (what, _, write) in forged {
            #expect(await refusal(write) == .noAuth, "\(what) was not refused")
        }
        #expect(
            try await supervisor.getData(tree.secrets(app: "shop", environment: "prod")).data == Array("sealed".utf8)
        )
        // The scheduler retracts a lost host's instance status.
        try await scheduler.delete(tree.instanceStatus("i1"))
        #expect(try await anonymous.exists(deploy) != nil)

        for client in [scheduler, supervisor, router, anonymous] { await client.close() }
        await manager.close()
    }
}
