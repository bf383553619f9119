import Agents
import ArgumentParser
import Foundation
import ZKModel
import ZooKeeper

/// Rewrites one Route at a steady rate from one long-lived process, so a load test measures the
/// router under route changes rather than the start-up cost of a CLI per change.
struct BenchRouteChurn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route-churn",
        abstract: "Rewrite a Route (alternating its priority) N times a second through the manager.")

    @Option(name: .customLong("zk"), help: "ZooKeeper hosts.")
    var zk: String = "127.0.0.1:2181"

    @Option(help: "The cluster root the router watches.")
    var root: String = "/atlantis"

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

    func run() async throws {
        let client = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
        let manager = Manager(store: ClusterStore(zk: client, tree: try ZNodeTree(root: root)))
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.milliseconds(Int64(1000 / rate))
        var changes = 0
        var next = start
        while clock.now - start < .milliseconds(Int64(duration * 1000)) {
            let yaml = """
                apiVersion: atlantis/v1
                kind: Route
                metadata: {name: \(route)}
                spec: {host: \(host), priority: \(changes % 2), pool: {service: \(service)}}
                """
            try await manager.apply(try ManifestLoader().parse(yaml, file: "churn.yaml"), options: .init(source: "bench-churn"))
            changes += 1
            next += interval
            try await clock.sleep(until: next)
        }
        print("route-churn: \(changes) changes to route \(route) in \(String(format: "%.1f", BenchRouteLatency.ms(clock.now - start) / 1000)) s")
        await client.close()
    }
}
