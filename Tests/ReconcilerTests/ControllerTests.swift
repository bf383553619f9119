import Logging
import Reconciler
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@Suite struct ControllerTests {
    static let fast = Controller.Configuration(
        workers: 4,
        resyncEvery: nil,
        backoff: Backoff(base: .milliseconds(20), cap: .milliseconds(200))
    )

    @Test func aBurstOnOneKeyCoalescesAndEndsOnTheLastState() async throws {
        let source = MemorySource()
        let recorder = Recorder()
        let controller = Controller(
            name: "burst",
            reconciler: ClosureReconciler { key in
                recorder.begin(key)
                try await Task.sleep(for: .milliseconds(2))
                recorder.end(key, saw: source.value(key))
                return .done
            },
            sources: [source],
            configuration: Self.fast
        )
        let run = Task { try await controller.run() }
        for i in 1...1000 { source.set("k", i) }
        #expect(await eventually(.seconds(30)) { recorder.seen("k") == 1000 })
        #expect(recorder.calls("k") < 500)
        #expect(!recorder.overlapped)
        await controller.shutDown()
        try await run.value
    }

    @Test func everyKeyIsReconciledAndNeverTwiceAtOnce() async throws {
        let source = MemorySource()
        let recorder = Recorder()
        let controller = Controller(
            name: "many",
            reconciler: ClosureReconciler { key in
                recorder.begin(key)
                await Task.yield()
                recorder.end(key, saw: source.value(key))
                return .done
            },
            sources: [source],
            configuration: Self.fast
        )
        let run = Task { try await controller.run() }
        for i in 0..<1000 { source.set("k\(i)", i) }
        for i in 0..<1000 where i % 3 == 0 { source.set("k\(i)", i + 5000) }
        #expect(await eventually(.seconds(30)) { recorder.keysSeen == 1000 })
        #expect(await eventually(.seconds(30)) { recorder.seen("k999") == 5999 })
        #expect(recorder.seen("k1") == 1)
        #expect(!recorder.overlapped)
        await controller.shutDown()
        try await run.value
    }

    @Test func anErroringKeyBacksOffWhileOthersProceed() async throws {
        struct Boom: Error {}
        let source = MemorySource()
        let recorder = Recorder()
        let controller = Controller(
            name: "errors",
            reconciler: ClosureReconciler { key in
                recorder.begin(key)
                defer { recorder.end(key, saw: source.value(key)) }
                if key == "bad" { throw Boom() }
                return .done
            },
            sources: [source],
            configuration: .init(
                workers: 2,
                resyncEvery: nil,
                backoff: Backoff(base: .milliseconds(50), cap: .seconds(5), jitter: 0)
            )
        )
        let run = Task { try await controller.run() }
        source.set("bad", 1)
        for i in 0..<50 { source.set("ok\(i)", i) }
        #expect(await eventually(.seconds(30)) { (0..<50).allSatisfy { recorder.seen("ok\($0)") != nil } })
        try await Task.sleep(for: .milliseconds(800))
        // 50+100+200+400 ms: about five attempts in 0.8 s, not a tight loop.
        let attempts = recorder.calls("bad")
        #expect(attempts >= 2 && attempts <= 7, "\(attempts) attempts")
        // Counted apart (an attempt when it starts, a failure when it has thrown): compared
        // between two attempts, not while one runs.
        #expect(
            await eventually(.seconds(5)) { controller.failureCount("bad") == recorder.calls("bad") },
            "\(controller.failureCount("bad")) failures counted for \(recorder.calls("bad")) attempts"
        )
        await controller.shutDown()
        try await run.value
    }

    @Test func terminalErrorsAreNotRetried() async throws {
        let source = MemorySource()
        let recorder = Recorder()
        let controller = Controller(
            name: "terminal",
            reconciler: ClosureReconciler { key in
                recorder.begin(key)
                recorder.end(key, saw: nil)
                throw TerminalError("bad spec")
            },
            sources: [source],
            configuration: Self.fast
        )
        let run = Task { try await controller.run() }
        source.set("x", 1)
        #expect(await eventually(.seconds(30)) { recorder.calls("x") == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(recorder.calls("x") == 1)
        await controller.shutDown()
        try await run.value
    }

    @Test func requeueAfterLooksAgain() async throws {
        let source = MemorySource()
        let recorder = Recorder()
        let controller = Controller(
            name: "requeue",
            reconciler: ClosureReconciler { key in
                recorder.begin(key)
                recorder.end(key, saw: nil)
                return .requeue(after: .milliseconds(30))
            },
            sources: [source],
            configuration: Self.fast
        )
        let run = Task { try await controller.run() }
        source.set("poll", 1)
        #expect(await eventually(.seconds(30)) { recorder.calls("poll") >= 4 })
        await controller.shutDown()
        try await run.value
    }

    @Test func gracefulShutdownFinishesReconcilesInFlight() async throws {
        let source = MemorySource()
        let finished = Mutex(0)
        let started = Mutex(0)
        let controller = Controller(
            name: "graceful",
            reconciler: ClosureReconciler { _ in
                started.withLock { $0 += 1 }
                try? await Task.sleep(for: .milliseconds(300))
                finished.withLock { $0 += 1 }
                return .done
            },
            sources: [source],
            configuration: Self.fast
        )
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: controller)], logger: .init(label: "test"))
        )
        let run = Task { try await group.run() }
        source.set("a", 1)
        source.set("b", 2)
        #expect(await eventually(.seconds(30)) { started.withLock { $0 } == 2 })
        await group.triggerGracefulShutdown()
        try await run.value
        #expect(finished.withLock { $0 } == 2)
    }

    /// A source that never lists (dockerd or ZooKeeper unreachable since start) held the run in
    /// its wait for the first listing: neither a cancel nor a graceful shutdown could stop it.
    @Test(arguments: ["cancel", "graceful shutdown"])
    func aStopWhileASourceCannotListEndsTheRun(stop: String) async throws {
        let reconciled = Mutex(0)
        let controller = Controller(
            name: "unlisted",
            reconciler: ClosureReconciler { _ in
                reconciled.withLock { $0 += 1 }
                return .done
            },
            sources: [NeverListingSource()],
            configuration: Self.fast
        )
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: controller)], logger: .init(label: "test"))
        )
        let run = WatchedRun { if stop == "cancel" { try? await controller.run() } else { try? await group.run() } }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!run.ended, "the run ended by itself")
        if stop == "cancel" { run.task.cancel() } else { await group.triggerGracefulShutdown() }
        #expect(await run.ends(), "the run did not end after a \(stop)")
        #expect(reconciled.withLock { $0 } == 0, "no key may be reconciled before its source has listed")
    }

    /// A running controller (its sources listed, its workers waiting for keys) ends on a cancel,
    /// as it does on a graceful shutdown.
    @Test func aCancelEndsARunningController() async throws {
        let source = MemorySource()
        let reconciled = Mutex(0)
        let controller = Controller(
            name: "cancelled",
            reconciler: ClosureReconciler { _ in
                reconciled.withLock { $0 += 1 }
                return .done
            },
            sources: [source],
            configuration: Self.fast
        )
        let run = WatchedRun { try? await controller.run() }
        source.set("a", 1)
        #expect(await eventually(.seconds(30)) { reconciled.withLock { $0 } == 1 })
        run.task.cancel()
        #expect(await run.ends(), "the controller did not end after a cancel")
    }

    /// A reconcile cut short by the controller's cancel is not a failure of its key (no backoff,
    /// no "reconcile_failed" warning at every shutdown).
    @Test func aReconcileCancelledByTheStopIsNotAFailure() async throws {
        let source = MemorySource()
        let started = Mutex(false)
        let controller = Controller(
            name: "cut-short",
            reconciler: ClosureReconciler { _ in
                started.withLock { $0 = true }
                try await Task.sleep(for: .seconds(30))
                return .done
            },
            sources: [source],
            configuration: Self.fast
        )
        let run = WatchedRun { try? await controller.run() }
        source.set("a", 1)
        #expect(await eventually(.seconds(30)) { started.withLock { $0 } })
        run.task.cancel()
        #expect(await run.ends())
        #expect(controller.failureCount("a") == 0)
    }
}

/// A source whose state can never be listed.
final class NeverListingSource: KeySource, Sendable {
    private let gate = SyncLatch()
    func changes() -> AsyncStream<String> { AsyncStream { _ in } }
    func allKeys() -> [String] { ["k"] }
    func waitUntilSynced() async throws { try await gate.wait() }
}

/// Keys with a recency each, listed before the controller starts.
final class AgedSource: KeySource, Sendable {
    let ages: [String: Int64]
    init(_ ages: [String: Int64]) { self.ages = ages }
    func changes() -> AsyncStream<String> { AsyncStream { _ in } }
    func allKeys() -> [String] { Array(ages.keys) }
    func keysByRecency() -> [(key: String, recency: Int64)] { ages.map { ($0.key, $0.value) } }
    func waitUntilSynced() async throws {}
}

@Suite struct FirstPassTests {
    /// After a restart or a new leadership term, the key changed last is reconciled first, not
    /// behind every unchanged one (a scheduler's resync at 1,000 Deploys).
    @Test func theFirstPassTakesTheNewestKeysFirst() async throws {
        var ages: [String: Int64] = [:]
        for i in 0..<500 { ages["k\(i)"] = Int64((i * 7919) % 500) }
        ages["newest"] = 10_000
        let order = Mutex<[String]>([])
        let controller = Controller(
            name: "first-pass",
            reconciler: ClosureReconciler { key in
                order.withLock { $0.append(key) }
                return .done
            },
            sources: [AgedSource(ages)],
            configuration: .init(workers: 1, resyncEvery: nil)
        )
        let run = Task { try await controller.run() }
        #expect(await eventually(.seconds(30)) { order.withLock { $0.count } == 501 })
        let seen = order.withLock { $0 }
        #expect(seen.first == "newest")
        // Then oldest last: every key after the first is no newer than the one before it.
        let recencies = seen.map { ages[$0]! }
        #expect(zip(recencies, recencies.dropFirst()).allSatisfy { $0 >= $1 })
        await controller.shutDown()
        try await run.value
    }
}
