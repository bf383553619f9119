import Foundation
import Spawn
import TestSupport
import ZooKeeper

/// The real ZooKeeper servers the tests use, started by `scripts/zk.sh`.
enum TestCluster {
    static let repoRoot = URL(fileURLWithPath: Repository.root)

    /// The shared standalone server (`scripts/test.sh` starts it).
    static var hosts: String { TestZooKeeper.hosts }

    static func config(
        _ hosts: String = hosts,
        sessionTimeout: Duration = .seconds(6),
        credentials: [String] = []
    ) -> ZooKeeperConfiguration {
        ZooKeeperConfiguration(
            connectionString: hosts,
            sessionTimeout: sessionTimeout,
            connectTimeout: .seconds(10),
            operationTimeout: .seconds(10),
            credentials: credentials.map { .init(scheme: "digest", secret: $0) }
        )
    }

    static func connect(
        _ hosts: String = hosts,
        sessionTimeout: Duration = .seconds(6),
        credentials: [String] = []
    ) async throws -> ZooKeeperClient {
        try await ZooKeeperClient.connect(config(hosts, sessionTimeout: sessionTimeout, credentials: credentials))
    }

    static func uniquePath(_ label: String) -> String {
        "/zktest-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `scripts/zk.sh` with these arguments: its exit status and what it printed.
    static func zkScript(_ arguments: [String]) -> (status: Int32, output: String) {
        Spawn.run(["/bin/bash", repoRoot.appendingPathComponent("scripts/zk.sh").path] + arguments)
    }

    /// Runs `scripts/zk.sh` with these arguments and fails if it does.
    @discardableResult
    static func zk(_ arguments: String...) throws -> String {
        let (status, output) = zkScript(arguments)
        guard status == 0 else {
            throw ScriptError(message: "zk.sh \(arguments.joined(separator: " ")) failed: \(output)")
        }
        return output
    }

    struct ScriptError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// Retries an idempotent step while ZooKeeper is failing over.
func eventually<T>(
    timeout: Duration = .seconds(30),
    _ body: () async throws -> T
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            return try await body()
        } catch {
            if ContinuousClock.now > deadline { throw error }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
