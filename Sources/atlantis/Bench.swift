import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures (run through bench/*.sh, in release builds).",
        subcommands: [BenchReconcile.self, BenchRoutes.self, BenchRouteLatency.self, BenchRouteChurn.self, BenchSupervisor.self])
}
