public import Logging
import Metrics
public import ServiceLifecycle

/// Runs one reconciler: turns source events into keys in a work queue, reconciles each key with
/// bounded concurrency (never one key twice at once), retries errors with per-key backoff,
/// resyncs every key periodically, and on graceful shutdown finishes the reconciles in flight.
public final class Controller: Service, Sendable {
    public struct Configuration: Sendable {
        public var workers: Int
        public var resyncEvery: Duration?
        public var backoff: Backoff
        /// A reconcile running longer than this is cancelled and counted as an error.
        public var reconcileTimeout: Duration

        public init(
            workers: Int = 4,
            resyncEvery: Duration? = .seconds(300),
            backoff: Backoff = Backoff(),
            reconcileTimeout: Duration = .seconds(60)
        ) {
            self.workers = workers
            self.resyncEvery = resyncEvery
            self.backoff = backoff
            self.reconcileTimeout = reconcileTimeout
        }
    }

    public let name: String
    public let queue = WorkQueue()
    let reconciler: any Reconciler
    let sources: [any KeySource]
    let informers: [any Informer]
    let configuration: Configuration
    let logger: Logger
    let failures = FailureCounts()
    let metrics: ControllerMetrics

    /// `informers` are the caches this controller owns: they run while it runs (started before its
    /// sources are listened to, ended after its last reconcile). A cache shared by several
    /// controllers is run by its owner instead.
    public init(
        name: String,
        reconciler: any Reconciler,
        sources: [any KeySource],
        informers: [any Informer] = [],
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "atlantis.controller")
    ) {
        self.name = name
        self.reconciler = reconciler
        self.sources = sources
        self.informers = informers
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "controller"] = "\(name)"
        self.logger = logger
        self.metrics = ControllerMetrics(controller: name)
    }

    /// Queues a key by hand (tests, or agents with their own triggers).
    public func enqueue(_ key: String) async {
        await queue.add(key)
    }

    /// Runs until a graceful shutdown (reconciles in flight finish) or a cancel (they are cancelled).
    public func run() async throws {
        await withTaskCancellationHandler {
            await runUntilShutDown()
        } onCancel: {
            // The workers wait on the queue, not on the task: shutting it down is what ends them.
            Task { await self.queue.shutDown() }
        }
    }

    private func runUntilShutDown() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                // Changes seen before the first pass are dropped: that pass queues every key the
                // sources list (newest first), and each reconcile reads the state as it is then.
                // (A key that changes while the pass is queued is queued by its change too.)
                let passQueued = SyncLatch()
                for source in sources {
                    let changes = source.changes()
                    group.addTask {
                        for await key in changes where passQueued.isOpen { await self.queue.add(key) }
                    }
                }
                for informer in informers {
                    group.addTask { await informer.run() }
                }
                // Workers start once every source has listed its state. A stop while a source
                // cannot list (dockerd or ZooKeeper unreachable) ends the run here.
                do {
                    try await cancelWhenGracefulShutdown { [sources] in
                        for source in sources { try await source.waitUntilSynced() }
                    }
                } catch {
                    logger.info("controller.stopped_before_sync")
                    group.cancelAll()
                    return
                }
                passQueued.open()
                await firstPass()
                if let period = configuration.resyncEvery {
                    group.addTask { await self.resyncLoop(every: period) }
                }
                await withTaskGroup(of: Void.self) { workers in
                    for _ in 0..<max(configuration.workers, 1) {
                        workers.addTask { await self.work() }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await self.queue.shutDown() }
        }
    }

    /// Stops taking keys; reconciles in flight finish.
    public func shutDown() async {
        await queue.shutDown()
    }

    /// Every key, once every source has listed its state: the most recently changed first.
    private func firstPass() async {
        var newest: [String: Int64] = [:]
        var order: [String] = []
        for source in sources {
            for (key, recency) in source.keysByRecency() {
                if let seen = newest[key] {
                    newest[key] = max(seen, recency)
                } else {
                    newest[key] = recency
                    order.append(key)
                }
            }
        }
        // Stable: keys equally recent keep the sources' order.
        let ranked = order.enumerated().sorted { a, b in
            let (ra, rb) = (newest[a.element] ?? 0, newest[b.element] ?? 0)
            return ra != rb ? ra > rb : a.offset < b.offset
        }
        for (_, key) in ranked { await queue.add(key) }
    }

    /// Every key, in the background lane (periodically).
    private func resyncAll() async {
        for source in sources {
            for key in source.allKeys() { await queue.addBackground(key) }
        }
    }

    private func resyncLoop(every period: Duration) async {
        while !Task.isCancelled {
            // Jitter so that many agents do not resync in step.
            let jittered = period * Double.random(in: 0.9...1.1)
            guard (try? await Task.sleep(for: jittered)) != nil else { return }
            logger.debug("controller.resync")
            await resyncAll()
        }
    }

    private func work() async {
        while let key = await queue.next() {
            await process(key)
            await queue.done(key)
            metrics.depth.record(await queue.depth)
        }
    }

    private func process(_ key: String) async {
        let start = ContinuousClock.now
        do {
            let result = try await withTimeout(configuration.reconcileTimeout) {
                try await self.reconciler.reconcile(key: key)
            }
            metrics.duration.record(since: start)
            failures.reset(key)
            switch result {
            case .done:
                metrics.success.increment()
            case .requeue(let delay):
                metrics.requeue.increment()
                await queue.add(key, after: delay)
            }
        } catch let error as TerminalError {
            metrics.duration.record(since: start)
            metrics.errors.increment()
            failures.reset(key)
            logger.error("controller.reconcile_terminal", metadata: ["key": "\(key)", "error": "\(error)"])
        } catch  where Task.isCancelled {
            // The controller is being cancelled: the key did not fail, and is not retried here.
            logger.debug("controller.reconcile_cancelled", metadata: ["key": "\(key)"])
        } catch {
            metrics.duration.record(since: start)
            metrics.errors.increment()
            let count = failures.increment(key)
            let delay = configuration.backoff.delay(failures: count)
            logger.warning(
                "controller.reconcile_failed",
                metadata: ["key": "\(key)", "error": "\(error)", "retry.count": "\(count)", "retry.in": "\(delay)"]
            )
            await queue.add(key, after: delay)
        }
    }

    /// Consecutive failures of a key (for its backoff).
    public func failureCount(_ key: String) -> Int { failures.count(key) }
}

struct ReconcileTimeout: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "reconcile did not finish within \(limit)" }
}

func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw ReconcileTimeout(limit: limit) }
        return value
    }
}
