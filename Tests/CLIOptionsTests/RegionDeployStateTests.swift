import CLIOptions
import Foundation
import Testing

@Suite struct RegionDeployStateTests {
    let digest = "sha256:" + String(repeating: "a", count: 64)

    func saved(_ steps: [(String, RegionDeployState.Step)]) -> RegionDeployState {
        var state = RegionDeployState.resuming(
            nil,
            app: "shop",
            environment: "prod",
            repository: "atlantis/shop",
            digest: digest,
            regions: steps.map(\.0),
            now: "2026-12-03T10:00:00Z"
        ).state
        for (region, step) in steps {
            state.update(region) {
                $0.step = step
                $0.previous = 3
                $0.release = step == .pending ? nil : 4
            }
        }
        return state
    }

    @Test func theSameDigestResumesKeepingWhatIsDoneAndRetryingTheRest() {
        let before = saved([("r1", .done), ("r2", .failed), ("r3", .rolledBack)])
        let (state, resumed) = RegionDeployState.resuming(
            before,
            app: "shop",
            environment: "prod",
            repository: "atlantis/shop",
            digest: digest,
            regions: ["r1", "r2", "r3", "r4"],
            now: "2026-12-03T11:00:00Z"
        )
        #expect(resumed)
        #expect(state.startedAt == "2026-12-03T10:00:00Z")
        #expect(state.entry("r1")?.step == .done)
        #expect(state.entry("r2")?.step == .pending)
        #expect(state.entry("r3")?.step == .pending)
        #expect(state.entry("r4")?.step == .pending)
        // What a region ran before the first attempt is kept: a rollback after a resume goes there.
        #expect(state.entry("r2")?.previous == 3)
    }

    @Test func anotherImageOrAppStartsAfresh() {
        let before = saved([("r1", .done), ("r2", .failed)])
        let other = "sha256:" + String(repeating: "b", count: 64)
        let (state, resumed) = RegionDeployState.resuming(
            before,
            app: "shop",
            environment: "prod",
            repository: "atlantis/shop",
            digest: other,
            regions: ["r1", "r2"],
            now: "now"
        )
        #expect(!resumed)
        #expect(state.entries.allSatisfy { $0.step == .pending && $0.previous == nil })
        let (_, staging) = RegionDeployState.resuming(
            before,
            app: "shop",
            environment: "staging",
            repository: "atlantis/shop",
            digest: digest,
            regions: ["r1"],
            now: "now"
        )
        #expect(!staging)
    }

    @Test func itIsSavedBesideTheConfigAndReadBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atlantis-state-\(UUID())").path
        setenv("ATLANTIS_CONFIG", "\(folder)/config.json", 1)
        defer {
            unsetenv("ATLANTIS_CONFIG")
            try? FileManager.default.removeItem(atPath: folder)
        }
        let state = saved([("r1", .done), ("r2", .failed)])
        try state.save()
        #expect(RegionDeployState.path(app: "shop", environment: "prod") == "\(folder)/deploys/shop-prod.json")
        #expect(RegionDeployState.load(app: "shop", environment: "prod") == state)
        state.remove()
        #expect(RegionDeployState.load(app: "shop", environment: "prod") == nil)
    }
}
