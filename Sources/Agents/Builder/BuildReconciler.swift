import Crypto
public import Docker
import Foundation
public import Logging
import NIOCore
public import Reconciler
import Synchronization
import YAMLValue
public import ZKModel
public import ZooKeeper

/// Converges one app's builds, oldest first, one at a time (the key is the app, so the engine
/// never runs two of its builds at once; builds of different apps run on other workers).
///
/// Each build: lease it (an ephemeral node; a builder that dies lets go and the next one
/// retries, counting the attempt), resolve the source, return the recorded image at once when
/// the same source and template version were built before, else fetch, render, build through
/// the Engine, push (retried while the registry is down) and record the manifest digest. Only a
/// pushed digest is ever recorded, so an image that was never finished is never deployed.
public struct BuildReconciler: Reconciler {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let configuration: BuilderConfiguration
    let builds: ZNodeCache
    /// A watched copy of the builds' statuses: finished builds are passed over without a read.
    let statuses: ZNodeCache
    let templates: ZNodeCache
    let docker: DockerClient
    let fetcher: SourceFetcher
    let logs: BuildLogStore
    let logger: Logger
    let started = StartedBuilds()

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        configuration: BuilderConfiguration,
        builds: ZNodeCache,
        statuses: ZNodeCache,
        templates: ZNodeCache,
        docker: DockerClient,
        fetcher: SourceFetcher,
        logs: BuildLogStore,
        logger: Logger
    ) {
        self.zk = zk
        self.tree = tree
        self.configuration = configuration
        self.builds = builds
        self.statuses = statuses
        self.templates = templates
        self.docker = docker
        self.fetcher = fetcher
        self.logs = logs
        self.logger = logger
    }

    public func reconcile(key app: String) async throws -> ReconcileResult {
        // Builds the copy already shows finished are passed over; the others are read afresh.
        let open = builds.allKeys().filter { cachedStatus($0)?.phase.isFinal != true }.sorted()
        for id in open {
            guard let request = request(id), request.app == app else { continue }
            let stored = try await status(id)
            if stored?.phase.isFinal == true { continue }
            guard try await lease(id) else {
                // Another builder works on it: look again when its lease may have gone.
                return .requeue(after: .seconds(2))
            }
            do {
                try await run(id, request, previous: stored)
            } catch {
                try? await zk.delete(tree.buildLease(id))
                throw error
            }
            try? await zk.delete(tree.buildLease(id))
        }
        return .done
    }

    func request(_ id: String) -> BuildRequest? {
        guard let data = builds.snapshot(id)?.data else { return nil }
        return try? Payload.decode(BuildRequest.self, from: data, path: tree.build(id))
    }

    func cachedStatus(_ id: String) -> BuildStatus? {
        guard let data = statuses.snapshot(id)?.data else { return nil }
        return try? Payload.decode(BuildStatus.self, from: data, path: tree.buildStatus(id))
    }

    func status(_ id: String) async throws -> BuildStatus? {
        do {
            let (data, _) = try await zk.getData(tree.buildStatus(id))
            return try? Payload.decode(BuildStatus.self, from: data, path: tree.buildStatus(id))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Takes the build's lease; false when another builder holds it.
    func lease(_ id: String) async throws -> Bool {
        do {
            _ = try await zk.create(tree.buildLease(id), data: Array(configuration.builderID.utf8), mode: .ephemeral)
            return true
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            // Ours when this session made it (a reconcile of this process that was retried).
            return try await zk.exists(tree.buildLease(id))?.ephemeralOwner == zk.sessionID
        } catch let error as ZooKeeperError where error.code == .noNode {
            try await zk.ensurePath(tree.buildLeases)
            return try await lease(id)
        }
    }

    private func run(_ id: String, _ request: BuildRequest, previous: BuildStatus?) async throws {
        // A status left mid-work by another process is a builder that died: this is the next attempt.
        let retriedHere = started.markStarted(id)
        let attempt = retriedHere ? (previous?.attempt ?? 1) : (previous?.attempt ?? 0) + 1
        var status = BuildStatus(
            app: request.app,
            phase: .fetching,
            attempt: attempt,
            builder: configuration.builderID,
            updatedAt: Self.now()
        )
        if request.cancel == true {
            status.phase = .cancelled
            status.message = "cancelled before it started"
            try await write(id, status)
            return
        }
        logs.begin(id)
        defer { logs.end(id) }
        if status.attempt > 1 {
            logs.append(
                id,
                "== attempt \(status.attempt) (the builder working on attempt \(status.attempt - 1) stopped)"
            )
        }
        logs.append(
            id,
            "== build \(id) of \(request.app) from \(request.source.summary), requested by \(request.requestedBy)"
        )
        try await write(id, status)
        let started = ContinuousClock.now
        let startedAt = Self.now()
        let initial = status
        do {
            let image = try await withThrowingTaskGroup(of: Finished?.self) { group in
                group.addTask {
                    try await self.execute(id, request, status: initial, started: started, startedAt: startedAt)
                }
                group.addTask {
                    try await self.waitForCancel(id)
                    throw BuildStop.cancelled
                }
                group.addTask {
                    try await Task.sleep(for: self.configuration.buildTimeout)
                    throw BuildStop.failed("the build took longer than \(self.configuration.buildTimeout)")
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let image else { return }
            try await record(id, image, status: status)
            logs.append(
                id,
                "== succeeded: \(image.image)\(image.reused ? " (already built from the same inputs)" : "")"
            )
            logger.info(
                "builder.succeeded",
                metadata: [
                    "build": "\(id)", "app": "\(request.app)", "image": "\(image.image)", "reused": "\(image.reused)",
                ]
            )
        } catch let error where !(error is BuildStop) && !(error is CancellationError) {
            // Worth retrying (a registry or git server down): said in the status, then the
            // engine retries with backoff.
            logs.append(id, "== will retry: \(error)")
            status.message = "will retry: \(error)"
            status.updatedAt = Self.now()
            try? await write(id, status)
            throw error
        } catch let stop as BuildStop {
            logs.append(id, "== \(stop.phase.rawValue): \(stop.description)")
            status.phase = stop.phase
            status.message = stop.description
            if stop.withLog {
                status.logTail = String(logs.tail(id, bytes: BuildStatus.logTailBytes - 64).suffix(4000))
            }
            status.updatedAt = Self.now()
            try await write(id, status)
            logger.info(
                "builder.stopped",
                metadata: [
                    "build": "\(id)", "app": "\(request.app)", "phase": "\(stop.phase)",
                    "reason": "\(stop.description)",
                ]
            )
        }
    }

    /// An image ready to record.
    struct Finished: Sendable {
        var image: String
        var provenance: BuildProvenance
        var reused: Bool
        var key: String
        var port: Int?
        var healthCheck: AppSpec.HealthCheck?
    }

    private func execute(
        _ id: String,
        _ request: BuildRequest,
        status initial: BuildStatus,
        started: ContinuousClock.Instant,
        startedAt: String
    ) async throws -> Finished? {
        var status = initial
        // 1. The source's identity: the archive's digest, or the commit the ref points at now.
        var commit: String?
        if let git = request.source.git {
            do {
                commit = try await fetcher.resolve(git)
            } catch {
                if error.retryable { throw error }
                throw BuildStop.failed(error.description)
            }
            logs.append(id, "== \(git.url)#\(git.ref ?? "HEAD") is commit \(commit!)")
        }
        let key = Self.inputKey(request.source, commit: commit)
        if let built = try await builtImage(key), let current = template(built.provenance.template),
            current.version == built.provenance.templateVersion
        {
            return Finished(
                image: built.image,
                provenance: built.provenance,
                reused: true,
                key: key,
                port: built.port,
                healthCheck: built.healthCheck
            )
        }
        // 2. Fetch and read the config.
        let fetched: SourceFetcher.Fetched
        do {
            fetched = try await fetcher.fetch(request.source, app: request.app, commit: commit)
        } catch {
            if error.retryable { throw error }
            throw BuildStop.failed(error.description)
        }
        let (config, configFile, configHash) = try readConfig(fetched.entries)
        guard let templateSpec = template(config.template) else {
            let known = templates.allKeys().sorted().joined(separator: ", ")
            throw BuildStop.failed(
                "\(configFile): template: unknown template \"\(config.template)\" (known: \(known.isEmpty ? "none applied" : known))"
            )
        }
        do {
            try config.check(against: templateSpec, name: config.template, file: configFile)
        } catch {
            throw BuildStop.failed(error.description)
        }
        let rendered: BuildContextRenderer.Rendered
        do {
            rendered = try BuildContextRenderer().render(
                source: fetched.entries,
                config: config,
                configFile: configFile,
                template: templateSpec,
                templateName: config.template
            )
        } catch {
            throw BuildStop.failed(error.description)
        }
        // 3. Build.
        status.phase = .building
        status.updatedAt = Self.now()
        try await write(id, status)
        let tag = "\(configuration.registry)/\(configuration.repository(app: request.app)):\(id)"
        logs.append(id, "== building \(tag) with template \(config.template) v\(templateSpec.version)")
        let logs = self.logs
        let buildStarted = ContinuousClock.now
        do {
            _ = try await docker.build(
                context: rendered.context,
                tag: tag,
                timeout: .seconds(configuration.buildTimeout.components.seconds)
            ) {
                line in logs.append(id, line)
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if error.code == .buildFailed {
                // The Engine's message, and the step it failed in (the log's last `Step n/m`).
                let first = error.message.split(separator: "\n").first.map(String.init) ?? error.message
                let step = logs.tail(id, bytes: 16384).split(separator: "\n").last { $0.hasPrefix("Step ") }
                throw BuildStop.failed(first + (step.map { " (at \($0))" } ?? ""), withLog: true)
            }
            throw error
        }
        logs.append(id, "== built in \(Self.milliseconds(ContinuousClock.now - buildStarted)) ms")
        // 4. Push, retried while the registry is down.
        let pushStarted = ContinuousClock.now
        status.phase = .pushing
        status.updatedAt = Self.now()
        try await write(id, status)
        let digest = try await push(tag, id: id, status: status)
        logs.append(id, "== pushed in \(Self.milliseconds(ContinuousClock.now - pushStarted)) ms")
        let provenance = BuildProvenance(
            commit: commit,
            sourceDigest: request.source.archive?.digest,
            template: config.template,
            templateVersion: templateSpec.version,
            baseImage: rendered.baseImage,
            configHash: configHash,
            builder: configuration.builderID,
            startedAt: startedAt,
            durationMs: Self.milliseconds(ContinuousClock.now - started)
        )
        return Finished(
            image: "\(configuration.registry)/\(configuration.repository(app: request.app))@\(digest)",
            provenance: provenance,
            reused: false,
            key: key,
            port: config.port,
            healthCheck: config.healthCheck
        )
    }

    private func push(_ tag: String, id: String, status initial: BuildStatus) async throws -> String {
        var status = initial
        var delay = Duration.seconds(1)
        let deadline = ContinuousClock.now + configuration.pushDeadline
        var tries = 0
        while true {
            tries += 1
            let failure: String
            do {
                // Asked first: the Engine retries a push to a registry that is down on its own,
                // for minutes, without saying so.
                try await fetcher.registry.ping()
                return try await docker.push(tag)
            } catch let error as RegistryClient.Failure {
                failure = error.description
            } catch let error as DockerError {
                failure = error.message
            }
            if Task.isCancelled { throw CancellationError() }
            guard ContinuousClock.now + delay < deadline else {
                throw BuildStop.failed("the push to \(configuration.registry) kept failing: \(failure)")
            }
            let message = "push \(tries) failed (\(failure)); retrying in \(delay)"
            logs.append(id, "== " + message)
            status.message = message
            status.updatedAt = Self.now()
            try await write(id, status)
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(10))
        }
    }

    /// The config file of the source (`atlantis.yaml`, `.yml` or `.json`), checked.
    func readConfig(_ entries: [TarReader.Entry]) throws(BuildStop) -> (BuildConfig, String, String) {
        guard
            let (file, entry) = BuildConfig.fileNames.lazy.compactMap({ name in
                entries.first(where: { $0.path == name && $0.linkTarget == nil }).map { (name, $0) }
            }).first
        else {
            throw .failed("the source has no atlantis.yaml (its build config: template, run, setup)")
        }
        let text = String(decoding: entry.contents, as: UTF8.self)
        let value: JSONValue
        do {
            value = try YAMLConversion.json(fromText: text)
        } catch {
            throw .failed("\(file): \(error.reason)")
        }
        do {
            let config = try BuildConfig.validate(value, file: file)
            let hash = SHA256.hash(data: entry.contents).map { String(format: "%02x", $0) }.joined()
            return (config, file, "sha256:" + hash)
        } catch {
            throw .failed(error.description)
        }
    }

    func template(_ name: String) -> TemplateSpec? {
        guard let data = templates.snapshot(name)?.data,
            let value = try? JSONValue.parse(Data(data)),
            case .success(let document) = DocumentValidator().validate(value)
        else { return nil }
        return try? document.decodeSpec(TemplateSpec.self)
    }

    private func builtImage(_ key: String) async throws -> BuiltImage? {
        do {
            let (data, _) = try await zk.getData(tree.builtImage(key: key))
            return try? Payload.decode(BuiltImage.self, from: data, path: tree.builtImage(key: key))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// The status succeeded and, for a new image, the record that the same inputs make it.
    private func record(_ id: String, _ finished: Finished, status initial: BuildStatus) async throws {
        var status = initial
        status.phase = .succeeded
        status.image = finished.image
        status.provenance = finished.provenance
        status.reused = finished.reused ? true : nil
        status.port = finished.port
        status.healthCheck = finished.healthCheck
        status.message = nil
        status.updatedAt = Self.now()
        if !finished.reused {
            var built = BuiltImage(image: finished.image, build: id, provenance: finished.provenance)
            built.port = finished.port
            built.healthCheck = finished.healthCheck
            try await zk.upsert(tree.builtImage(key: finished.key), data: try Payload.encode(built))
        }
        try await write(id, status)
    }

    private func write(_ id: String, _ status: BuildStatus) async throws {
        try await zk.upsert(tree.buildStatus(id), data: try Payload.encode(status))
    }

    /// Returns when the build is cancelled (or its request deleted).
    private func waitForCancel(_ id: String) async throws {
        while true {
            try await Task.sleep(for: .milliseconds(200))
            guard builds.snapshot(id) != nil else { return }
            if request(id)?.cancel == true { return }
        }
    }

    /// The hex sha256 naming a source's inputs: archive digest, or URL, commit and path.
    static func inputKey(_ source: BuildSource, commit: String?) -> String {
        let identity: String
        if let archive = source.archive {
            identity = "archive\n\(archive.digest)"
        } else {
            identity = "git\n\(source.git?.url ?? "")\n\(commit ?? "")\n\(source.git?.path ?? "")"
        }
        return SHA256.hash(data: Array(identity.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func now() -> String { Timestamp.string(Date()) }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The builds this process has started (a retry after an error is not a new attempt; a build
/// left mid-work by another process is).
final class StartedBuilds: Sendable {
    private let ids = Mutex(Set<String>())

    /// Whether `id` was already started here; marks it started.
    func markStarted(_ id: String) -> Bool {
        ids.withLock { !$0.insert(id).inserted }
    }
}
