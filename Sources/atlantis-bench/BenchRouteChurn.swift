import AgentOptions
import ArgumentParser
import CLIOptions
import Foundation
import Manager
import ZKModel
import ZooKeeper

/// Rewrites one Route at a steady rate from one long-lived process, so a load test measures the
/// router under route changes rather than the start-up cost of a CLI per change.
struct BenchRouteChurn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route-churn",
        abstract: "Rewrite a Route (alternating its priority) N times a second through the manager."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The Route's name.")
    var route: String

    @Option(help: "The Route's host.")
    var host: String

    @Option(help: "The Service the Route points to.")
    var service: String

    @Option(help: "Changes per second.")
    var rate: Double = 10

    @Option(help: "Seconds to keep changing.")
    var duration: Double = 5

    @Flag(
        help: ArgumentHelp(
            "Write the Route's node straight (the bytes the manager stored for each version, one setData per change), as a script rewriting nginx's file does: the proxy's reaction without the manager's reads, checks and audit record."
        )
    )
    var direct = false

    func run() async throws {
        // The two versions, read once: the loop only writes.
        let versions = try (0..<2).map { priority in
            try ManifestLoader().parse(
                """
                apiVersion: atlantis/v1
                kind: Route
                metadata: {name: \(route)}
                spec: {host: \(host), priority: \(priority), pool: {service: \(service)}}
                """,
                file: "churn.yaml"
            )
        }
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.milliseconds(Int64(1000 / rate))
        let changes = try await cluster.withManager { manager throws(ManagerError) in
            var changes = 0
            var next = start
            if direct {
                // Each version applied once through the manager; then its stored bytes, replayed.
                let path = manager.store.tree.desired(DocumentKey(kind: .route, name: route))
                var stored: [[UInt8]] = []
                for version in versions {
                    _ = try await manager.apply(version, options: .init(source: "bench-churn"))
                    do {
                        stored.append(try await manager.store.zk.getData(path).data)
                    } catch {
                        throw ManagerError(.unreachable, "reading back \(path): \(error)")
                    }
                }
                next = clock.now
                let began = next
                while clock.now - began < .milliseconds(Int64(duration * 1000)) {
                    do {
                        _ = try await manager.store.zk.setData(path, data: stored[changes % 2])
                    } catch {
                        throw ManagerError(.unreachable, "writing \(path): \(error)")
                    }
                    changes += 1
                    next += interval
                    try? await clock.sleep(until: next)
                }
                return changes
            }
            while clock.now - start < .milliseconds(Int64(duration * 1000)) {
                _ = try await manager.apply(versions[changes % 2], options: .init(source: "bench-churn"))
                changes += 1
                next += interval
                try? await clock.sleep(until: next)
            }
            return changes
        }
        // This process's own CPU, so a bench can put the writer's cost beside the router's.
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = [usage.ru_utime, usage.ru_stime].reduce(0.0) { $0 + Double($1.tv_sec) + Double($1.tv_usec) / 1e6 }
        print(
            "route-churn: \(changes) changes to route \(route) in \(String(format: "%.1f", BenchRouteLatency.ms(clock.now - start) / 1000)) s, cpu \(String(format: "%.3f", cpu)) s"
        )
    }
}
