/// Where everything lives in ZooKeeper, under one root (default `/atlantis`).
///
/// ```
/// <root>/desired/<kind plural>/<name>   desired state: written only by the manager
/// <root>/status/<kind plural>/<name>    observed state: written by the agents
/// <root>/status/instances/<id>          running instances: written by supervisors
/// <root>/assignments/<host>/<instance>   instances placed on a host: written by the scheduler
/// <root>/placements/<deploy>            the scheduler's record of a deploy's instances
/// <root>/releases/<deploy>[/r-<n>]      release pointer and immutable releases: the manager
/// <root>/audit/e-<seq>                  release moves: the manager
/// <root>/agents/<role>/<id>             ephemeral registrations (supervisors, routers, ...)
/// <root>/agents/router-pools/<id>-<n>   a router's pool digests beyond its report (ephemeral)
/// <root>/elections/<role>/              leader election (ephemeral sequential)
/// <root>/auth/tokens/<sha256>           hashes of issued tokens: the manager only (no world read)
/// <root>/secrets/<app>/<env>             encrypted secrets: the manager writes, supervisors read
/// <root>/builds/<id>                    build requests: the manager
/// <root>/status/builds/<id>             build outcomes: the builder
/// <root>/status/images/<key>            images built from a source and template version: the builder
/// <root>/status/sources/<deploy>        the commit a Deploy's build ref points at: the builder
/// <root>/agents/build-leases/<id>       a build being worked on (ephemeral): the builder
/// <root>/meta                           tree layout version
/// <root>/region                         which region this tree is: the manager, once
/// ```
public struct ZNodeTree: Hashable, Sendable {
    public static let layoutVersion = 2
    public let root: String

    /// `root` must be an absolute path without a trailing slash: `/atlantis`, `/clusters/eu-1`.
    public init(root: String = "/atlantis") throws(InvalidRoot) {
        guard root.hasPrefix("/"), root.count > 1, !root.hasSuffix("/"), !root.contains("//"),
            root.split(separator: "/").allSatisfy({ $0 != "." && $0 != ".." && !$0.contains("\0") })
        else { throw InvalidRoot(root: root) }
        self.root = root
    }

    public struct InvalidRoot: Error, CustomStringConvertible {
        public let root: String
        public var description: String {
            "invalid root \"\(root)\": give an absolute znode path like /atlantis (no trailing slash, no . or ..)"
        }
    }

    /// The default tree, under `/atlantis`.
    public static let standard = ZNodeTree(valid: "/atlantis")

    private init(valid root: String) {
        self.root = root
    }

    public var desired: String { root + "/desired" }
    public var status: String { root + "/status" }
    public var agents: String { root + "/agents" }
    public var elections: String { root + "/elections" }
    public var meta: String { root + "/meta" }
    /// Which region this tree is (`RegionMarker`), written once by the manager.
    public var region: String { root + "/region" }

    /// Where supervisors report running instances (`InstanceStatus`).
    public var instanceStatus: String { status + "/instances" }
    public func instanceStatus(_ instance: String) -> String { "\(instanceStatus)/\(instance)" }
    /// Where routers report the table version they serve (ephemeral `RouterReport`).
    public var routers: String { agents + "/routers" }
    public func router(_ id: String) -> String { "\(routers)/\(id)" }
    /// A router's pool digests when its report does not hold them (`RouterPoolShard`).
    public var routerPools: String { agents + "/router-pools" }
    public func routerPools(_ id: String, shard: Int) -> String { "\(routerPools)/\(id)-\(shard)" }
    /// Where supervisors register (ephemeral `SupervisorRegistration`).
    public var supervisors: String { agents + "/supervisors" }
    public func supervisor(_ hostID: String) -> String { "\(supervisors)/\(hostID)" }
    /// Instances placed on hosts, one folder per host (`InstanceAssignment`).
    public var assignments: String { root + "/assignments" }
    public func assignments(host: String) -> String { "\(assignments)/\(host)" }
    public func assignment(host: String, instance: String) -> String { "\(assignments(host: host))/\(instance)" }
    /// The scheduler's record of each deploy's instances (`Placement`).
    public var placements: String { root + "/placements" }
    public func placement(deploy: String) -> String { "\(placements)/\(deploy)" }
    public var releases: String { root + "/releases" }
    public func releases(deploy: String) -> String { "\(releases)/\(deploy)" }
    public func release(deploy: String, number: Int) -> String { "\(releases)/\(deploy)/\(Release.name(number))" }
    public var audit: String { root + "/audit" }
    /// Issued tokens, each under the hex SHA-256 of the token (the token itself is never stored).
    public var auth: String { root + "/auth" }
    public var tokens: String { auth + "/tokens" }
    public func token(hash: String) -> String { "\(tokens)/\(hash)" }
    /// Encrypted secrets, one node per app and environment (`SecretSet`).
    public var secrets: String { root + "/secrets" }
    public func secrets(app: String) -> String { "\(secrets)/\(app)" }
    public func secrets(app: String, environment: String) -> String { "\(secrets)/\(app)/\(environment)" }
    /// Build requests (`BuildRequest`), one node per build id.
    public var builds: String { root + "/builds" }
    public func build(_ id: String) -> String { "\(builds)/\(id)" }
    /// Build outcomes (`BuildStatus`).
    public var buildStatus: String { status + "/builds" }
    public func buildStatus(_ id: String) -> String { "\(buildStatus)/\(id)" }
    /// Images already built (`BuiltImage`), under the hex sha256 of their inputs.
    public var builtImages: String { status + "/images" }
    public func builtImage(key: String) -> String { "\(builtImages)/\(key)" }
    /// The commits Deploys' build refs point at (`SourceRevision`).
    public var sourceRevisions: String { status + "/sources" }
    public func sourceRevision(deploy: String) -> String { "\(sourceRevisions)/\(deploy)" }
    /// Ephemeral leases of builds being worked on: a builder that dies lets go of its builds.
    public var buildLeases: String { agents + "/build-leases" }
    public func buildLease(_ id: String) -> String { "\(buildLeases)/\(id)" }
    /// Where builders register (ephemeral `BuilderRegistration`: where their logs are served).
    public var builders: String { agents + "/builders" }
    public func builder(_ id: String) -> String { "\(builders)/\(id)" }
    /// The prefix of a new audit record (ZooKeeper appends the sequence number).
    public var auditRecordPrefix: String { audit + "/e-" }
    /// A child of a folder the caller already holds (a cache's folder, an election's): the one
    /// place besides the named paths above where a znode path is joined.
    public static func child(_ name: String, of folder: String) -> String { "\(folder)/\(name)" }
    /// The folder of one role's leader election (its candidates are ephemeral sequential nodes).
    public func election(_ role: ElectionRole) -> String { "\(elections)/\(role.rawValue)" }

    public func desired(_ kind: Kind) -> String { "\(desired)/\(kind.plural)" }
    public func desired(_ key: DocumentKey) -> String { "\(desired(key.kind))/\(key.name)" }
    public func status(_ kind: Kind) -> String { "\(status)/\(kind.plural)" }
    public func status(_ key: DocumentKey) -> String { "\(status(key.kind))/\(key.name)" }

    /// Folders the manager creates (and owns).
    public var managerFolders: [String] {
        [root, desired, meta, releases, audit, builds] + Kind.allCases.map { desired($0) }
    }
    /// Folders agents write into.
    public var agentFolders: [String] {
        [
            status, agents, elections, instanceStatus, routers, routerPools, supervisors, assignments, placements,
            buildStatus, builtImages, sourceRevisions, buildLeases, builders,
        ]
            + Kind.allCases.map { status($0) }
    }

    /// The key of a desired-state path, or nil for a path outside `desired/`.
    public func key(ofDesired path: String) -> DocumentKey? {
        guard path.hasPrefix(desired + "/") else { return nil }
        let rest = path.dropFirst(desired.count + 1).split(separator: "/")
        guard rest.count == 2, let kind = Kind.allCases.first(where: { $0.plural == rest[0] }) else { return nil }
        return DocumentKey(kind: kind, name: String(rest[1]))
    }
}

/// The roles that elect a leader.
public enum ElectionRole: String, Sendable, CaseIterable {
    case scheduler
}
