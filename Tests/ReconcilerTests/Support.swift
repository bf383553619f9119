import Foundation
import Reconciler
import Spawn
import Synchronization
import TestSupport
import ZooKeeper

/// An in-memory key source with a value per key, standing in for the ZooKeeper cache.
final class MemorySource: KeySource, Sendable {
    private let state = Mutex<(values: [String: Int], subscribers: [AsyncStream<String>.Continuation])>(([:], []))

    func set(_ key: String, _ value: Int) {
        let subs = state.withLock { s in
            s.values[key] = value
            return s.subscribers
        }
        subs.forEach { $0.yield(key) }
    }

    func value(_ key: String) -> Int? { state.withLock { $0.values[key] } }

    func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        state.withLock { $0.subscribers.append(continuation) }
        return stream
    }

    func allKeys() -> [String] { state.withLock { Array($0.values.keys) } }
    func waitUntilSynced() async throws {}
}

/// Records what a reconciler saw, for assertions on the end state.
final class Recorder: Sendable {
    private let state = Mutex<(calls: [String: Int], seen: [String: Int], active: [String: Int], overlap: Bool)>(
        ([:], [:], [:], false)
    )

    func begin(_ key: String) {
        state.withLock { s in
            s.calls[key, default: 0] += 1
            s.active[key, default: 0] += 1
            if s.active[key]! > 1 { s.overlap = true }
        }
    }

    func end(_ key: String, saw value: Int?) {
        state.withLock { s in
            s.active[key, default: 1] -= 1
            if let value { s.seen[key] = value }
        }
    }

    func calls(_ key: String) -> Int { state.withLock { $0.calls[key] ?? 0 } }
    func seen(_ key: String) -> Int? { state.withLock { $0.seen[key] } }
    var totalCalls: Int { state.withLock { $0.calls.values.reduce(0, +) } }
    var keysSeen: Int { state.withLock { $0.seen.count } }
    var overlapped: Bool { state.withLock { $0.overlap } }
}

enum TestZK {
    static let repoRoot = URL(fileURLWithPath: Repository.root)
    static var hosts: String { TestZooKeeper.hosts }

    static func connect(_ hosts: String = hosts, sessionTimeout: Duration = .seconds(6)) async throws -> ZooKeeperClient
    {
        try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(
                connectionString: hosts,
                sessionTimeout: sessionTimeout,
                operationTimeout: .seconds(10)
            )
        )
    }

    static func uniqueRoot(_ label: String) -> String {
        "/rectest-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func script(_ arguments: String...) throws {
        let (status, output) = Spawn.run(
            ["/bin/bash", repoRoot.appendingPathComponent("scripts/zk.sh").path] + arguments
        )
        guard status == 0 else {
            throw CocoaError(
                .executableLoad,
                userInfo: [NSDebugDescriptionErrorKey: "zk.sh \(arguments) failed: \(output)"]
            )
        }
    }
}
