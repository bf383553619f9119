import Foundation
import ManagerAPI
import ManagerClient
import Testing
import ZKModel

/// `GET /v1/deploys/{name}/events`: fed by watches, resumable with `Last-Event-ID`.
@Suite("manager API: deploy events", .serialized)
struct EventStreamTests {
    /// Collects events until `enough` says so (or 10 s pass).
    static func collect(
        _ client: ManagerClient,
        deploy: String,
        after: Int64? = nil,
        until enough: @escaping @Sendable ([DeployEvent]) -> Bool
    ) async throws -> [DeployEvent] {
        try await withThrowingTaskGroup(of: [DeployEvent]?.self) { group in
            group.addTask {
                var events: [DeployEvent] = []
                try await client.follow(deploy: deploy, after: after) { event in
                    events.append(event)
                    return !enough(events)
                }
                return events
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next().flatMap { $0 } ?? []
        }
    }

    @Test func releasesAndProgressAreStreamedAndAReconnectMissesNone() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let client = rig.client
            let first = try await Self.collect(client, deploy: "shop-prod") { events in
                events.contains { $0.kind == .progress }
            }
            #expect(first.first?.kind == .release)
            #expect(first.first?.release == 1)
            #expect(first.contains { $0.kind == .progress && $0.line?.contains("waiting for the scheduler") == true })
            let ids = first.map(\.id)
            #expect(ids == ids.sorted(), "ids go up")
            let last = try #require(first.last?.id)

            // Two releases while no one listens; the reconnect gets both, and not release 1 again.
            _ = try await client.deploy(app: "shop", environment: "prod", DeployRequest(image: "127.0.0.1:5000/shop:2"))
            _ = try await client.deploy(app: "shop", environment: "prod", DeployRequest(image: "127.0.0.1:5000/shop:3"))
            let resumed = try await Self.collect(client, deploy: "shop-prod", after: last) { events in
                events.filter { $0.kind == .release }.count >= 2 && events.contains { $0.kind == .progress }
            }
            #expect(resumed.filter { $0.kind == .release }.map(\.release) == [2, 3])
            #expect(
                resumed.filter { $0.kind == .release }.map(\.image) == [
                    "127.0.0.1:5000/shop:2", "127.0.0.1:5000/shop:3",
                ]
            )
            #expect(resumed.allSatisfy { $0.id > last || $0.kind != .release })
            #expect(resumed.last { $0.kind == .progress }?.release == 3)
        }
    }

    /// A change while the stream is open arrives without the client asking again.
    @Test func aChangeWhileListeningArrivesAsItHappens() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let client = rig.client
            // shop-staging is built from source: no release until this deploy makes release 1.
            async let events = Self.collect(client, deploy: "shop-staging") { events in
                events.contains { $0.kind == .release && $0.release == 1 }
            }
            try await Task.sleep(for: .milliseconds(500))
            _ = try await client.deploy(
                app: "shop",
                environment: "staging",
                DeployRequest(image: "127.0.0.1:5000/shop:9")
            )
            let got = try await events
            #expect(got.first?.kind == .progress && got.first?.release == 0, "\(got)")
            #expect(got.contains { $0.kind == .release && $0.release == 1 && $0.image == "127.0.0.1:5000/shop:9" })
        }
    }

    @Test func theStreamOfADeletedDeployEnds() async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let client = rig.client
            async let events = Self.collect(client, deploy: "shop-staging") { $0.contains { $0.kind == .deleted } }
            try await Task.sleep(for: .milliseconds(500))
            _ = try await client.teardown(app: "shop", environment: "staging")
            #expect(try await events.last?.kind == .deleted)
            let missing = await problem {
                try await client.follow(deploy: "nope") { _ in false }
            }
            #expect(missing?.code == .notFound)
        }
    }
}
