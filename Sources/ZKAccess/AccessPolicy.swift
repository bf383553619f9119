public import ZKModel
public import ZooKeeper

/// The one function that decides a znode's ACL from its path (every process of the cluster
/// creates nodes through it: `ZooKeeperConfiguration.aclPolicy`). The table is in
/// docs/architecture.md; in short: the manager may do anything; each other role writes only its
/// own subtree; the world reads desired state and status, never `auth/` or `secrets/`.
public struct AccessPolicy: Sendable {
    public let tree: ZNodeTree
    public let ids: [Role: String]

    public init(tree: ZNodeTree, ids: [Role: String]) {
        self.tree = tree
        self.ids = ids
    }

    public init(tree: ZNodeTree, identity: ZooKeeperIdentity) {
        self.init(tree: tree, ids: identity.ids)
    }

    func grant(_ role: Role, _ permissions: ACL.Permissions) -> ACL {
        ACL(permissions: permissions, scheme: "digest", id: ids[role] ?? "\(role.user):-")
    }

    /// The ACL of the node at `path` (a sequential node's prefix decides for it).
    public func acl(for path: String) -> [ACL] {
        let manager = grant(.manager, .all)
        let world = ACL.anyone(.read)
        let open = [manager, world]
        // Structural folders: any role may create them when it starts before the manager has
        // made the tree (their ACL is this table's whoever creates them).
        let structural = open + [Role.scheduler, .supervisor, .router, .builder].map { grant($0, .create) }
        guard path.hasPrefix(tree.root + "/") else {
            return tree.root.hasPrefix(path) || path == tree.root ? structural : open
        }
        let rest = path.dropFirst(tree.root.count + 1).split(separator: "/", omittingEmptySubsequences: false)
            .map(String.init)
        let depth = rest.count
        switch rest[0] {
        case "auth":
            return [manager]
        case "secrets":
            return [manager, grant(.supervisor, .read)]
        case "status":
            guard depth > 1 else { return structural }
            switch rest[1] {
            case "instances":
                return depth == 2
                    ? open + [grant(.supervisor, [.create, .delete]), grant(.scheduler, .delete)]
                    : open + [grant(.supervisor, .all)]
            case "gitops":
                return open
            case "builds", "images", "sources":
                return depth == 2 ? open + [grant(.builder, [.create, .delete])] : open + [grant(.builder, .all)]
            default:
                return depth == 2 ? open + [grant(.scheduler, [.create, .delete])] : open + [grant(.scheduler, .all)]
            }
        case "agents":
            guard depth > 1 else { return structural }
            let owner: Role? =
                switch rest[1] {
                case "supervisors": .supervisor
                case "routers", "router-pools": .router
                case "builders", "build-leases": .builder
                default: nil
                }
            guard let owner else { return open }
            return depth == 2 ? open + [grant(owner, [.create, .delete])] : open + [grant(owner, .all)]
        case "elections":
            guard depth > 1 else { return structural }
            guard let owner = Role(rawValue: rest[1]), owner != .manager else { return open }
            return depth == 2 ? open + [grant(owner, [.create, .delete])] : open + [grant(owner, .all)]
        case "assignments", "placements":
            // A supervisor may make its (empty) assignments folder to watch; only the
            // scheduler puts anything in it.
            let makers = depth == 1 ? [Role.supervisor, .router, .builder].map { grant($0, .create) } : []
            return open + [grant(.scheduler, .all)] + makers
        case "desired" where depth == 1:
            // Any role may make the kind folders it watches; only the manager writes documents.
            return structural
        default:
            // desired/, releases/, audit/, meta and anything else: the manager's.
            return open
        }
    }
}
