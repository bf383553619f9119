import Testing
import ZKAccess
import ZKModel
import ZooKeeper

/// The ACL table itself (no ZooKeeper): the world never reads tokens or secrets, and each
/// role's write permissions are where the architecture says.
@Suite("the ACL table")
struct AccessTableTests {
    let tree = ZNodeTree.standard
    var policy: AccessPolicy {
        var ids: [Role: String] = [:]
        for role in Role.allCases { ids[role] = "\(role.user):hash" }
        return AccessPolicy(tree: tree, ids: ids)
    }

    func writers(_ path: String) -> Set<String> {
        Set(
            policy.acl(for: path).filter { !$0.permissions.intersection([.write, .create, .delete]).isEmpty }
                .map { $0.id.split(separator: ":").first.map(String.init) ?? $0.id }
        )
    }

    func worldReads(_ path: String) -> Bool {
        policy.acl(for: path).contains { $0.scheme == "world" && $0.permissions.contains(.read) }
    }

    @Test func theWorldNeverReadsTokensOrSecrets() {
        for path in [
            tree.auth, tree.tokens, tree.token(hash: "ab"), tree.secrets, tree.secrets(app: "a", environment: "e"),
        ] {
            #expect(!worldReads(path), "\(path)")
        }
        let secrets = policy.acl(for: tree.secrets(app: "a", environment: "e"))
        #expect(secrets.contains { $0.id.hasPrefix("atlantis-supervisor:") && $0.permissions == .read })
        #expect(policy.acl(for: tree.token(hash: "ab")).map(\.id) == ["atlantis-manager:hash"])
    }

    @Test func eachSubtreeHasItsWriters() {
        let key = DocumentKey(kind: .deploy, name: "d")
        #expect(writers(tree.desired(key)) == ["atlantis-manager"])
        #expect(writers(tree.release(deploy: "d", number: 1)) == ["atlantis-manager"])
        #expect(writers(tree.assignment(host: "h", instance: "i")) == ["atlantis-manager", "atlantis-scheduler"])
        #expect(writers(tree.placement(deploy: "d")) == ["atlantis-manager", "atlantis-scheduler"])
        #expect(writers(tree.instanceStatus("i")) == ["atlantis-manager", "atlantis-supervisor"])
        #expect(writers(tree.status(key)) == ["atlantis-manager", "atlantis-scheduler"])
        #expect(writers(tree.supervisor("h")) == ["atlantis-manager", "atlantis-supervisor"])
        #expect(writers(tree.router("r")) == ["atlantis-manager", "atlantis-router"])
        #expect(writers(tree.routerPools("r", shard: 3)) == ["atlantis-manager", "atlantis-router"])
        #expect(writers(tree.routerPools) == ["atlantis-manager", "atlantis-router"])
        #expect(writers(tree.election(.scheduler) + "/c-") == ["atlantis-manager", "atlantis-scheduler"])
        for path in [tree.desired(key), tree.status(key), tree.instanceStatus("i"), tree.placement(deploy: "d")] {
            #expect(worldReads(path), "\(path)")
        }
    }
}
