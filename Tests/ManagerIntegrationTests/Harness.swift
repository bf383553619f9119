import Foundation
import Manager
import TestSupport
import ZKModel
import ZooKeeper

/// A manager on its own root in the real ZooKeeper that `scripts/test.sh` starts.
struct Harness {
    static let repoRoot = URL(fileURLWithPath: Repository.root)
    static var hosts: String { TestZooKeeper.hosts }

    let zk: ZooKeeperClient
    let manager: Manager
    let tree: ZNodeTree

    static func make(root: String? = nil, credentials: [String] = []) async throws -> Harness {
        let root = root ?? "/mgrtest-\(UUID().uuidString.prefix(8).lowercased())"
        let zk = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(
                connectionString: hosts,
                credentials: credentials.map { .init(secret: $0) }
            )
        )
        let tree = try ZNodeTree(root: root)
        return Harness(zk: zk, manager: Manager(store: ClusterStore(zk: zk, tree: tree)), tree: tree)
    }

    static func path(_ relative: String) -> String { repoRoot.appendingPathComponent(relative).path }

    func load(_ relative: String...) throws -> [LoadedDocument] {
        try ManifestLoader().load(paths: relative.map(Self.path))
    }

    func load(yaml: String, file: String = "inline.yaml") throws -> [LoadedDocument] {
        try ManifestLoader().parse(yaml, file: file)
    }

    /// Every node under the root with its data and version: "stored state" for before/after checks.
    func dump() async throws -> [String: String] {
        var out: [String: String] = [:]
        var queue = [tree.root]
        while let path = queue.popLast() {
            guard let (data, stat) = try? await zk.getData(path) else { continue }
            out[path] = "v\(stat.version) m\(stat.mzxid) \(String(decoding: data, as: UTF8.self))"
            for child in (try? await zk.children(path)) ?? [] { queue.append("\(path)/\(child)") }
        }
        return out
    }

    func close() async { await zk.close() }
}

/// The ManagerError `body` throws, or nil when it succeeds.
func managerError(_ body: () async throws -> Void) async -> ManagerError? {
    do {
        try await body()
        return nil
    } catch {
        return (error as? ManagerError) ?? ManagerError(.unknownOutcome, "\(error)")
    }
}
