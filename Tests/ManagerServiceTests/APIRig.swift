import AsyncHTTPClient
import Dashboard
import Foundation
import Logging
import Manager
import ManagerAPI
import ManagerClient
import ManagerService
import NIOCore
import NIOHTTP1
import Secrets
import Synchronization
import TestSupport
import ZKModel
import ZooKeeper

/// The manager's HTTP service in this process, on a free loopback port, over its own root of the
/// real ZooKeeper; `run` serves for the body's duration and stops it (every task awaited).
struct APIRig {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let url: String
    /// The service's dashboard view (watching nothing until the dashboard is asked for).
    let dashboard: DashboardHub
    var client: ManagerClient { ManagerClient(baseURL: url, timeout: .seconds(20)) }

    static let repoRoot = URL(fileURLWithPath: Repository.root)

    static func newRoot() -> String { "/apitest-\(UUID().uuidString.prefix(8).lowercased())" }

    /// Serves `root` (a new one by default) for `body`; several rigs may share a root (two managers).
    static func run<T: Sendable>(
        root: String = newRoot(),
        hosts: String = TestZooKeeper.hosts,
        configuration: ManagerServiceConfiguration = .init(port: 0, requestDeadline: .seconds(10)),
        credentials: [ZooKeeperConfiguration.Credential] = [],
        auth: (@Sendable (ClusterStore) -> Authenticator)? = nil,
        secretBox: SecretBox? = nil,
        _ body: @Sendable (APIRig) async throws -> T
    ) async throws -> T {
        let zk = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: hosts, credentials: credentials)
        )
        let tree = try ZNodeTree(root: root)
        var quiet = Logger(label: "test.manager")
        quiet.logLevel = .critical
        let store = ClusterStore(zk: zk, tree: tree)
        let manager = Manager(store: store, logger: quiet)
        let routes = ManagerRoutes(
            manager: manager,
            configuration: configuration,
            auth: auth?(store),
            secretBox: secretBox
        )
        let (ports, port) = AsyncStream<Int>.makeStream()
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await ManagerService(routes: routes) { port.yield($0) }.run()
                    return nil
                }
                var iterator = ports.makeAsyncIterator()
                guard let listening = await iterator.next() else { throw CancellationError() }
                let rig = APIRig(zk: zk, tree: tree, url: "http://127.0.0.1:\(listening)", dashboard: routes.dashboard)
                // The manager makes its folders when it starts (for its read copies): let it
                // finish, so that before/after dumps compare only what a request did.
                for _ in 0..<100 where (try? await zk.exists(tree.desired(.route))) == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let result = try await body(rig)
                group.cancelAll()
                while try await group.next() != nil {}
                return result
            }
            await zk.close()
            return result
        } catch {
            await zk.close()
            throw error
        }
    }

    /// Every node under the root with its data and version: stored state, for before/after checks.
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

    /// The examples' documents as an apply request.
    func examples(source: String = "cli") throws -> ApplyRequest {
        let loaded = try ManifestLoader().load(paths: [Self.repoRoot.appendingPathComponent("examples").path])
        return ApplyRequest(
            documents: loaded.map { .init(file: $0.location.file, index: $0.location.index, document: $0.value) },
            source: source
        )
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var problem: Problem? { try? JSONDecoder().decode(Problem.self, from: Data(body.utf8)) }
    }

    /// One raw request: any method, headers and body bytes.
    func raw(
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]? = nil,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Answer(
            status: Int(response.status.code),
            headers: response.headers,
            body: String(buffer: bytes)
        )
    }

    func json(
        _ method: HTTPMethod,
        _ path: String,
        _ text: String,
        headers: [(String, String)] = []
    ) async throws
        -> Answer
    {
        try await raw(method, path, body: Array(text.utf8), headers: [("Content-Type", "application/json")] + headers)
    }
}

/// The problem `body` throws, or nil when it succeeds.
func problem(_ body: () async throws -> Void) async -> Problem? {
    do {
        try await body()
        return nil
    } catch let problem as Problem {
        return problem
    } catch {
        return Problem(.internal, "not a problem: \(error)")
    }
}
