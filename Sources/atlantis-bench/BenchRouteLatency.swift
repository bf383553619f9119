import ArgumentParser
import Foundation
import Manager
import ZKModel
import ZooKeeper

struct BenchRouteLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route-latency",
        abstract: "Time from a Route written through the manager to the router serving it (p50, p99)."
    )

    @Option(name: .customLong("zk"), help: "ZooKeeper hosts.")
    var zk: String = "127.0.0.1:2181"

    @Option(help: "The cluster root the router watches.")
    var root: String = "/atlantis"

    @Option(help: "The router's HTTP address.")
    var router: String = "127.0.0.1:8080"

    @Option(help: "An existing Service the new routes point to.")
    var service: String

    @Option(help: "The path to request; the backend must answer it with 200.")
    var path: String = "/"

    @Option(help: "Routes to write.")
    var count: Int = 50

    func run() async throws {
        let client = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zk))
        let manager = Manager(store: ClusterStore(zk: client, tree: try ZNodeTree(root: root)))
        var latencies: [Double] = []
        var afterCommit: [Double] = []
        let clock = ContinuousClock()
        let run = UUID().uuidString.prefix(6).lowercased()
        for i in 0..<count {
            let host = "lat-\(run)-\(i).test"
            let yaml = """
                apiVersion: atlantis/v1
                kind: Route
                metadata: {name: lat-\(run)-\(i)}
                spec: {host: \(host), pool: {service: \(service)}}
                """
            let docs = try ManifestLoader().parse(yaml, file: "bench.yaml")
            let start = clock.now
            try await manager.apply(docs, options: .init(source: "bench"))
            let committed = clock.now
            while true {
                if Self.status(of: router, host: host, path: path) == 200 { break }
                if clock.now - start > .seconds(10) { throw ValidationError("route \(host) not served within 10 s") }
                try await Task.sleep(for: .microseconds(200))
            }
            let end = clock.now
            latencies.append(Self.ms(end - start))
            afterCommit.append(Self.ms(end - committed))
        }
        // Clean up what the benchmark wrote.
        try await manager.apply([], options: .init(source: "bench", prune: true))
        func p(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
        }
        print(
            String(
                format:
                    "apply → route served: p50 %.1f ms, p99 %.1f ms; znode write committed → route served: p50 %.1f ms, p99 %.1f ms (%d routes)",
                p(latencies, 0.5),
                p(latencies, 0.99),
                p(afterCommit, 0.5),
                p(afterCommit, 0.99),
                count
            )
        )
        await client.close()
    }

    static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// The status code of `GET /` with this Host header (a blocking loopback request; benchmark only).
    static func status(of address: String, host: String, path: String) -> Int {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            return 0
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, String(address[..<colon]), &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return 0 }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buffer, 64, 0)
        guard n >= 12 else { return 0 }
        let line = String(decoding: buffer[0..<n], as: UTF8.self)
        let parts = line.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    }
}
