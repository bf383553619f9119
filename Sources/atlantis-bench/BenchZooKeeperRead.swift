import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import ZooKeeper

/// Reads one znode from `--connections` concurrent loops over one session for `--seconds`: the
/// read bench/manager.sh puts beside `GET /v1/apps/{name}` under wrk.
struct BenchZooKeeperRead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zk-read",
        abstract: "Read one znode from N concurrent loops; prints reads/s and p50/p99 latency."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The znode.")
    var path: String

    @Option(help: "Concurrent readers.")
    var connections: Int = 50

    @Option(help: "Seconds to read.")
    var seconds: Int = 10

    func run() async throws {
        let (path, connections, seconds) = (self.path, self.connections, self.seconds)
        let latencies = try await cluster.withZooKeeper { zk, _ in
            let end = ContinuousClock.now + .seconds(seconds)
            return try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        var out: [Double] = []
                        while ContinuousClock.now < end {
                            let started = ContinuousClock.now
                            _ = try await zk.getData(path)
                            out.append((ContinuousClock.now - started) / .milliseconds(1))
                        }
                        return out
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all.sorted()
            }
        }
        guard !latencies.isEmpty else { throw ValidationError("no read completed") }
        func at(_ q: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        print(
            String(
                format: "zk-read: %.0f reads/s, p50 %.3f ms, p99 %.3f ms (%d readers)",
                Double(latencies.count) / Double(seconds),
                at(0.5),
                at(0.99),
                connections
            )
        )
    }
}
