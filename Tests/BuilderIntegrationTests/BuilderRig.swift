import AsyncHTTPClient
import Builder
import Docker
import Foundation
import Logging
import Manager
import Spawn
import TestSupport
import ZKModel
import ZooKeeper

/// A builder against the real ZooKeeper, dockerd and registry (scripts/test.sh starts them,
/// `scripts/docker.sh bases` builds the templates' bases), on a root of its own, with a manager
/// that writes the builds (as in production: the builder never writes one).
final class BuilderRig: Sendable {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let manager: Manager
    let http: HTTPClient
    let docker: DockerClient
    let store: String
    let suffix: String

    static let registry = "127.0.0.1:5000"

    init() async throws {
        suffix = UUID().uuidString.prefix(8).lowercased()
        zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts))
        tree = try ZNodeTree(root: "/buildtest-\(suffix)")
        manager = Manager(store: ClusterStore(zk: zk, tree: tree))
        http = DockerClient.makeHTTPClient()
        docker = DockerClient(http: http)
        store = NSTemporaryDirectory() + "builder-\(suffix)"
    }

    /// The Team, the apps and the shipped templates with their bases' digests.
    func setUp(apps: [String]) async throws {
        var yaml = "apiVersion: atlantis/v1\nkind: Team\nmetadata: {name: web}\nspec: {members: [alice]}\n"
        for app in apps {
            yaml += "---\napiVersion: atlantis/v1\nkind: App\nmetadata: {name: \(app)}\nspec: {team: web, port: 8080}\n"
        }
        var loaded = try ManifestLoader().parse(yaml, file: "rig.yaml")
        loaded += try ManifestLoader().load(paths: [Repository.path("run/templates")])
        _ = try await manager.apply(loaded, options: .init())
    }

    /// A builder running on its own ZooKeeper session; cancel the task to stop it.
    func startBuilder(
        id: String = "b1",
        session: ZooKeeperClient? = nil,
        workers: Int = 2
    ) throws -> (Task<Void, any Error>, BuildLogStore) {
        let logs = try BuildLogStore(folder: "\(store)/\(id)/logs")
        let agent = BuilderAgent(
            zk: session ?? zk,
            tree: tree,
            configuration: BuilderConfiguration(
                builderID: id,
                registry: Self.registry,
                workers: workers,
                store: "\(store)/\(id)",
                pushDeadline: .seconds(120)
            ),
            docker: docker,
            logs: logs,
            pollTick: .milliseconds(200)
        )
        return (Task { try await agent.run() }, logs)
    }

    /// Runs `body` with a new rig whose apps are set up and a builder running; stops and cleans
    /// up whatever `body` does.
    static func run(
        apps: [String],
        workers: Int = 2,
        _ body: @Sendable (BuilderRig, BuildLogStore) async throws -> Void
    ) async throws {
        let rig = try await BuilderRig()
        let (builder, logs) = try rig.startBuilder(workers: workers)
        do {
            try await rig.setUp(apps: apps)
            try await body(rig, logs)
        } catch {
            builder.cancel()
            _ = await builder.result
            await rig.close()
            throw error
        }
        builder.cancel()
        _ = await builder.result
        await rig.close()
    }

    /// Uploads `files` as the manager's upload does (a blob in the registry).
    func upload(app: String, _ files: [String: String]) async throws -> BuildSource {
        var tar = TarArchive()
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { try tar.add(path, contents: Array(text.utf8)) }
        let digest = try await RegistryClient(address: Self.registry).putBlob(
            tar.archive,
            repository: SourceFetcher.repository(app: app)
        )
        return BuildSource(archive: .init(digest: digest, size: tar.archive.count))
    }

    func request(_ app: String, _ source: BuildSource) async throws -> String {
        try await manager.requestBuild(app: app, source: source, requestedBy: "test")
    }

    func status(_ id: String) async -> BuildStatus? {
        guard let (data, _) = try? await zk.getData(tree.buildStatus(id)) else { return nil }
        return try? Payload.decode(BuildStatus.self, from: data, path: id)
    }

    /// Waits for the build to end; its last status.
    func finished(_ id: String, timeout: Duration = .seconds(180)) async -> BuildStatus? {
        _ = await eventually(timeout) { await status(id)?.phase.isFinal == true }
        return await status(id)
    }

    /// A git repository with `files`, committed; its path.
    func repository(_ files: [String: String]) throws -> String {
        let path = "\(store)/repo-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files {
            let file = "\(path)/\(name)"
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try commit(path, "first")
        return path
    }

    func commit(_ repository: String, _ message: String) throws {
        let result = Spawn.run([
            "/bin/sh", "-c",
            "cd \(repository) && git init -q -b main 2>/dev/null; git add -A && git -c user.email=t@t -c user.name=t commit -qm \(message)",
        ])
        guard result.status == 0 else { throw TarReader.Refused("git commit failed: \(result.output)") }
    }

    func head(_ repository: String) -> String {
        Spawn.run(["git", "-C", repository, "rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func close() async {
        try? await http.shutdown()
        await zk.close()
        try? FileManager.default.removeItem(atPath: store)
    }
}

/// The files of a small python app that answers `text`.
func pythonApp(_ text: String, setup: [String] = []) -> [String: String] {
    let steps = setup.isEmpty ? "" : "setup:\n" + setup.map { "  - \"\($0)\"\n" }.joined()
    return [
        "atlantis.yaml": "template: python\nrun: python3 app.py\n" + steps,
        "app.py": """
        import http.server, os
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"\(text)\\n"
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body)
        http.server.ThreadingHTTPServer(("", int(os.environ.get("ATLANTIS_PORT", "8080"))), H).serve_forever()

        """,
    ]
}
