import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import Logging
import Reconciler
import Synchronization
import ZKModel
import ZooKeeper

struct BenchReconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Write→reconcile-start latency, no-op reconcile throughput, and cache memory."
    )

    @Option(name: .customLong("zk"), help: "ZooKeeper hosts.")
    var zk: String = "127.0.0.1:2181"

    @Option(help: "Writes measured for latency.")
    var writes: Int = 1000

    @Option(help: "Keys for the throughput and memory runs.")
    var keys: Int = 10000

    @Option(help: "Reconcile workers.")
    var workers: Int = 4

    func run() async throws {
        LogOutput.bootstrap(level: .error)
        let client = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
        let root = "/bench-\(UUID().uuidString.prefix(8).lowercased())"
        let (p50, p99) = try await latency(client, folder: ZNodeTree.child("latency", of: root))
        let (rate, cacheBytes) = try await throughput(client, folder: ZNodeTree.child("many", of: root))
        print(
            String(
                format: "cache memory at %d znodes: %.1f MiB (%.0f bytes per znode)",
                keys,
                Double(cacheBytes) / 1_048_576,
                Double(cacheBytes) / Double(keys)
            )
        )
        print(String(format: "reconcile start p50: %.2f ms, p99: %.2f ms; no-op reconciles/s: %.0f", p50, p99, rate))
        await client.close()
    }

    /// Writes a sequence number into one of 100 znodes, one write at a time, and measures until
    /// the reconcile that sees it starts.
    func latency(_ client: ZooKeeperClient, folder: String) async throws -> (Double, Double) {
        try await client.ensurePath(folder)
        for i in 0..<100 { try await client.create(ZNodeTree.child("k\(i)", of: folder), data: Array("0".utf8)) }
        let cache = ZNodeCache(zk: client, folder: folder)
        let probe = LatencyProbe()
        let controller = Controller(
            name: "bench-latency",
            reconciler: ClosureReconciler { key in
                if let snap = cache.snapshot(key), let seq = Int(String(decoding: snap.data, as: UTF8.self)) {
                    probe.started(seq)
                }
                return .done
            },
            sources: [cache],
            configuration: .init(workers: workers, resyncEvery: nil)
        )
        let cacheTask = Task { await cache.run() }
        let run = Task { try await controller.run() }
        try await cache.waitUntilSynced()
        try await Task.sleep(for: .milliseconds(200))
        let writer = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
        for seq in 1...writes {
            probe.sent(seq)
            try await writer.setData(ZNodeTree.child("k\(seq % 100)", of: folder), data: Array(String(seq).utf8))
            while !probe.hasStarted(seq) { try await Task.sleep(for: .microseconds(50)) }
        }
        await controller.shutDown()
        try await run.value
        cacheTask.cancel()
        await writer.close()
        let sorted = probe.latenciesMs().sorted()
        return (percentile(sorted, 0.50), percentile(sorted, 0.99))
    }

    /// Creates `keys` znodes, measures the cache's memory once synced, then times a no-op
    /// reconcile of every key.
    func throughput(_ client: ZooKeeperClient, folder: String) async throws -> (Double, Int) {
        try await client.ensurePath(folder)
        let payload = Array(String(repeating: "x", count: 200).utf8)
        var batch: [ZooKeeper.Operation] = []
        for i in 0..<keys {
            batch.append(.create(path: ZNodeTree.child("k\(i)", of: folder), data: payload))
            if batch.count == 500 || i == keys - 1 {
                try await client.multi(batch)
                batch = []
            }
        }
        let before = residentBytes()
        let cache = ZNodeCache(zk: client, folder: folder)
        let cacheTask = Task { await cache.run() }
        try await cache.waitUntilSynced()
        let cacheBytes = residentBytes() - before
        let count = Counter()
        let controller = Controller(
            name: "bench-noop",
            reconciler: ClosureReconciler { _ in
                count.increment()
                return .done
            },
            sources: [cache],
            configuration: .init(workers: workers, resyncEvery: nil)
        )
        let clock = ContinuousClock()
        let start = clock.now
        let run = Task { try await controller.run() }
        while count.value < keys { try await Task.sleep(for: .milliseconds(1)) }
        let elapsed = clock.now - start
        await controller.shutDown()
        try await run.value
        cacheTask.cancel()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(keys) / seconds, cacheBytes)
    }

    func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}

final class LatencyProbe: Sendable {
    private let state = Mutex<(sent: [Int: ContinuousClock.Instant], started: [Int: Duration])>(([:], [:]))

    func sent(_ seq: Int) { state.withLock { $0.sent[seq] = .now } }

    func started(_ seq: Int) {
        state.withLock { s in
            if s.started[seq] == nil, let t = s.sent[seq] { s.started[seq] = .now - t }
        }
    }

    func hasStarted(_ seq: Int) -> Bool { state.withLock { $0.started[seq] != nil } }

    func latenciesMs() -> [Double] {
        state.withLock { s in
            s.started.values.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        }
    }
}

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
