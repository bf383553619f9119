import ArgumentParser

/// Benchmarks that print figures, apart from the shipped `atlantis`: `bench/*.sh` run them in
/// release builds (`scripts/release-build.sh atlantis-bench`).
@main
struct AtlantisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atlantis-bench",
        abstract: "Benchmarks that print figures (run through bench/*.sh, in release builds).",
        subcommands: [
            BenchReconcile.self, BenchRoutes.self, BenchRouteLatency.self, BenchRouteChurn.self, BenchSupervisor.self,
            BenchApply.self, BenchZooKeeperRead.self, BenchAuthWrite.self, BenchDashboard.self, BenchScale.self,
            BenchRouterScale.self, BenchRouterLive.self, BenchDeployTrace.self, BenchRelay.self,
        ]
    )
}
