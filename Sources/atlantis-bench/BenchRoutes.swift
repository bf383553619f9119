import ArgumentParser
import Foundation
import RouterData

struct BenchRoutes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Routing table build time, memory and lookup time at 10 and 10,000 routes."
    )

    func run() async throws {
        for count in [10, 10_000] {
            var rules: [RouteRule] = []
            for i in 0..<count {
                rules.append(RouteRule(name: "r\(i)", host: .init("app\(i).example.com"), pool: "p\(i % 100)"))
                if i % 10 == 0 {
                    rules.append(
                        RouteRule(
                            name: "w\(i)",
                            host: .init("*.tenant\(i).example.org"),
                            pathPrefix: "/api",
                            pool: "p\(i % 100)"
                        )
                    )
                }
            }
            let pools = (0..<100).map { Pool(name: "p\($0)", backends: [Backend(host: "127.0.0.1", port: 8000 + $0)]) }
            let before = residentBytes()
            let clock = ContinuousClock()
            let start = clock.now
            let table = RoutingTable(version: "bench", rules: rules, pools: pools)
            let build = clock.now - start
            let memory = residentBytes() - before
            let hosts = (0..<1000).map { "app\(($0 * 7919) % count).example.com" }
            let wild = (0..<1000).map { "x.tenant\((($0 * 10) % count) / 10 * 10).example.org" }
            let iterations = 200_000
            var found = 0
            let lookupStart = clock.now
            for i in 0..<iterations {
                let host = i % 2 == 0 ? hosts[i % hosts.count] : wild[i % wild.count]
                if table.match(host: host[...], target: "/api/users?id=1"[...], header: { _ in nil }) != nil {
                    found += 1
                }
            }
            let lookup = clock.now - lookupStart
            precondition(found == iterations, "bench: some lookups missed")
            print(
                String(
                    format: "%6d routes: build %.2f ms, memory %.1f MiB, lookup %.0f ns",
                    count,
                    ms(build),
                    Double(max(memory, 0)) / 1_048_576,
                    ms(lookup) * 1_000_000 / Double(iterations)
                )
            )
            withExtendedLifetime(table) {}
        }
    }

    func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
