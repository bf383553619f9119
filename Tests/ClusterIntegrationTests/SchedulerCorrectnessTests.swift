import Foundation
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Manager
@testable import Scheduler

/// The scheduler against the real ZooKeeper, on hosts that are only registrations (no containers):
/// what it must never do with documents it cannot read, and capacity it must never overcommit.
@Suite("Scheduler correctness against the real ZooKeeper", .serialized)
struct SchedulerCorrectnessTests {
    /// One host in zone za, a scheduler, and the sample app's prod Deploy placed on it. Returns the host.
    @discardableResult
    static func placed(_ rig: ClusterRig, instances: Int) async throws -> String {
        let host = try await rig.registerHost(zone: "za")
        try await rig.startScheduler()
        try await rig.apply(ClusterRig.app() + "\n---\n" + ClusterRig.deploy(environment: "prod", instances: instances))
        #expect(await eventually { await rig.placement("sample-prod")?.instances.count == instances })
        return host
    }

    @Test func aDeployItCannotReadIsReportedNotTornDown() async throws {
        try await ClusterRig.with { rig in
            try await Self.placed(rig, instances: 2)
            let before = try #require(await rig.placement("sample-prod"))

            // A newer manager's document: one field this scheduler does not know.
            let path = rig.tree.desired(DocumentKey(kind: .deploy, name: "sample-prod"))
            let (data, _) = try await rig.admin.getData(path)
            guard case .object(var top) = try JSONValue.parse(String(decoding: data, as: UTF8.self)),
                case .object(var spec)? = top["spec"]
            else { throw ReconcileTestError("the stored Deploy is not an object") }
            spec["fromTheFuture"] = .bool(true)
            top["spec"] = .object(spec)
            try await rig.admin.setData(path, data: Array(JSONValue.object(top).encoded().utf8))

            #expect(
                await eventually { await rig.status(deploy: "sample-prod")?.condition(.ready)?.reason == "Unreadable" }
            )
            let status = try #require(await rig.status(deploy: "sample-prod"))
            #expect(status.lastError?.contains("fromTheFuture") == true, "\(status.lastError ?? "")")
            try await Task.sleep(for: .seconds(2))
            #expect(await rig.placement("sample-prod") == before, "the placement is kept")
            let host = try #require(before.instances.first?.host)
            #expect(try await rig.admin.children(rig.tree.assignments(host: host)).count == 2)
        }
    }

    @Test func aPlacementItCannotReadIsNotReplaced() async throws {
        try await ClusterRig.with { rig in
            try await Self.placed(rig, instances: 1)
            let path = rig.tree.placement(deploy: "sample-prod")
            try await rig.admin.setData(path, data: Array("{not json".utf8))
            #expect(
                await eventually { await rig.status(deploy: "sample-prod")?.condition(.ready)?.reason == "Unreadable" }
            )
            try await Task.sleep(for: .seconds(1))
            #expect(try await rig.admin.getData(path).data == Array("{not json".utf8), "left for a person to repair")
        }
    }

    @Test func oneHostsCapacityIsNeverOvercommitted() async throws {
        try await ClusterRig.with { rig in
            let host = try await rig.registerHost(zone: "za", containers: 1)
            try await rig.startScheduler()
            try await rig.apply(
                [ClusterRig.app(), ClusterRig.deploy(environment: "prod"), ClusterRig.deploy(environment: "staging")]
                    .joined(separator: "\n---\n")
            )
            let reasons = {
                [
                    await rig.status(deploy: "sample-prod")?.condition(.ready)?.reason,
                    await rig.status(deploy: "sample-staging")?.condition(.ready)?.reason,
                ]
            }
            #expect(await eventually { await reasons().contains("InsufficientCapacity") })
            try await Task.sleep(for: .seconds(1))
            #expect(try await rig.admin.children(rig.tree.assignments(host: host)).count == 1)
            let placed = [await rig.placement("sample-prod"), await rig.placement("sample-staging")]
                .map { $0?.instances.count ?? 0 }
            #expect(placed.sorted() == [0, 1], "\(placed)")
        }
    }
}

extension SchedulerCorrectnessTests {
    /// A report left by an earlier process of the host (another session) is not health: the
    /// Deploy does not roll out on it; the same report from the live session does.
    @Test func aReportFromASessionThatNoLongerHoldsTheRegistrationIsNotHealth() async throws {
        try await ClusterRig.with { rig in
            let host = try await Self.placed(rig, instances: 1)
            let instance = try #require(await rig.placement("sample-prod")?.instances.first)
            func report(session: String) async throws {
                var status = InstanceStatus(
                    app: "sample",
                    environment: "prod",
                    host: "127.0.0.1",
                    port: 1,
                    healthy: true
                )
                status.state = .running
                status.supervisor = host
                status.zone = "za"
                status.session = session
                try await rig.admin.upsert(rig.tree.instanceStatus(instance.id), data: try Payload.encode(status))
            }
            try await report(session: "deadbeef")
            try await Task.sleep(for: .seconds(1))
            let before = await rig.status(deploy: "sample-prod")
            #expect(before?.condition(.ready)?.reason != "RolledOut", "\(String(describing: before))")
            #expect(before?.rollout?.healthy == 0)
            try await report(session: InstanceStatus.session(rig.admin.sessionID))
            #expect(
                await eventually { await rig.status(deploy: "sample-prod")?.condition(.ready)?.reason == "RolledOut" }
            )
        }
    }
}

struct ReconcileTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
