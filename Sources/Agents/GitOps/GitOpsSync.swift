import Foundation
public import Logging
import Manager
public import ManagerAPI
public import ManagerClient
public import ServiceLifecycle
import Spawn
import ZKModel

/// GitOps, pull form: fetches a ref, applies one path of it through the manager (pruning within
/// its own source only), and reports the commit, the drift it found and the last error to the
/// manager. Level-triggered: every interval it compares the whole tree with the cluster, so a
/// change made by hand is put back too; a failure is retried with backoff, up to the interval.
public struct GitOpsSync: Service {
    public struct Configuration: Sendable {
        public var name: String
        public var repo: String
        public var ref: String
        public var path: String
        public var source: String
        public var interval: Duration
        /// A bare repository this job fetches into (made on first use).
        public var cache: String
        public var git: String

        public init(
            name: String,
            repo: String,
            ref: String = "main",
            path: String = "deploy",
            source: String,
            interval: Duration = .seconds(30),
            cache: String,
            git: String = "/usr/bin/git"
        ) {
            self.name = name
            self.repo = repo
            self.ref = ref
            self.path = path
            self.source = source
            self.interval = interval
            self.cache = cache
            self.git = git
        }
    }

    public let configuration: Configuration
    let client: ManagerClient
    let logger: Logger

    public init(configuration: Configuration, client: ManagerClient, logger: Logger = Logger(label: "atlantis.gitops"))
    {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        var last: GitOpsStatus?
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let status = await syncOnce(previous: last)
            last = status
            do {
                try await client.report(status)
            } catch {
                logger.warning("gitops.report_failed", metadata: ["error": "\(error)"])
            }
            failures = status.lastError == nil ? 0 : failures + 1
            let backoff: Duration =
                failures == 0 ? configuration.interval : min(configuration.interval, .seconds(1 << min(failures, 5)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: backoff) }
        }
    }

    /// One attempt: fetch, read the path, diff, apply. Never throws: the outcome is in the status.
    public func syncOnce(previous: GitOpsStatus? = nil) async -> GitOpsStatus {
        let now = Timestamp.string(Date())
        var status = GitOpsStatus(
            name: configuration.name,
            repo: configuration.repo,
            ref: configuration.ref,
            path: configuration.path,
            source: configuration.source,
            commit: previous?.commit,
            syncedAt: previous?.syncedAt,
            attemptedAt: now
        )
        do {
            let commit = try await fetch()
            let tree = FileManager.default.temporaryDirectory.appendingPathComponent("atlantis-gitops-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: tree) }
            let directories = try await export(commit, into: tree)
            let loaded = try ManifestLoader().load(paths: directories)
            guard !loaded.isEmpty else {
                throw GitOpsError(
                    "\(commit.prefix(12)) holds no documents under \(configuration.path)/; not pruning everything source \(configuration.source) applied"
                )
            }
            let request = ApplyRequest(
                documents: loaded.map {
                    .init(file: Self.relative($0.location.file, to: tree), index: $0.location.index, document: $0.value)
                },
                source: configuration.source,
                prune: true
            )
            let diff = try await client.apply(request, diff: true)
            status.drift = diff.changes.prefix(GitOpsStatus.maxDrift).map { "\($0.action.rawValue) \($0.key)" }
            if !diff.changes.isEmpty { _ = try await client.apply(request) }
            status.commit = commit
            status.syncedAt = now
            logger.info(
                "gitops.synced",
                metadata: ["commit": "\(commit.prefix(12))", "drift": "\(diff.changes.count)"]
            )
        } catch {
            status.lastError = String("\(error)".prefix(GitOpsStatus.maxText))
            logger.warning("gitops.sync_failed", metadata: ["error": "\(error)"])
        }
        return status
    }

    /// Fetches the ref into the cache; the commit it points at.
    func fetch() async throws -> String {
        let cache = configuration.cache
        if !FileManager.default.fileExists(atPath: cache + "/HEAD") {
            try await git(["init", "-q", "--bare", cache])
        }
        do {
            try await git([
                "-C", cache, "fetch", "-q", "--force", configuration.repo, "+\(configuration.ref):refs/atlantis/sync",
            ])
        } catch {
            throw GitOpsError("cannot fetch \(configuration.ref) from \(configuration.repo): \(error)")
        }
        return try await git(["-C", cache, "rev-parse", "refs/atlantis/sync^{commit}"]).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    /// Writes the commit's path into `tree`; the folders that hold manifests.
    func export(_ commit: String, into tree: String) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        let outcome = await Spawn.output([
            "/bin/sh", "-c", "\"$0\" -C \"$1\" archive \"$2\" -- \"$3\" | tar -x -C \"$4\"", configuration.git,
            configuration.cache, commit, configuration.path, tree,
        ])
        guard outcome.status == 0 else {
            throw GitOpsError("\(configuration.path)/ is not in \(commit.prefix(12)): \(outcome.stderr.prefix(300))")
        }
        var folders: [String] = []
        let root = tree + "/" + configuration.path
        let enumerator = FileManager.default.enumerator(atPath: root)
        var candidates = [root]
        while let item = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + item, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                candidates.append(root + "/" + item)
            }
        }
        for folder in candidates.sorted() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if files.contains(where: { ManifestLoader.extensions.contains(($0 as NSString).pathExtension) }) {
                folders.append(folder)
            }
        }
        return folders
    }

    @discardableResult
    private func git(_ arguments: [String]) async throws -> String {
        let outcome = await Spawn.output([configuration.git] + arguments)
        guard outcome.status == 0 else {
            let command = arguments.filter { !$0.hasPrefix("/") }.prefix(3).joined(separator: " ")
            throw GitOpsError("git \(command) failed: \(outcome.stderr.prefix(500))")
        }
        return outcome.stdout
    }

    static func relative(_ file: String, to tree: String) -> String {
        file.hasPrefix(tree + "/") ? String(file.dropFirst(tree.count + 1)) : file
    }
}

public struct GitOpsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
