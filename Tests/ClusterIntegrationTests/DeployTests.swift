import Docker
import Foundation
import Spawn
import Synchronization
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Manager
@testable import RouterAgent
@testable import Scheduler
@testable import Supervisor

@Suite("Deploys: scheduler, supervisors and router against the real dockerd", .serialized)
struct DeployTests {
    func zones(_ instances: [InstanceStatus]) -> [String: Int] {
        instances.reduce(into: [:]) { $0[$1.zone ?? "?", default: 0] += 1 }
    }

    @Test func instancesSpreadEvenlyOverThreeZonesAndStaySpreadOnScaleDown() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb", "zc"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24100 + i * 20)...(24119 + i * 20))
            }
            try await rig.startScheduler()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 6)
            )
            #expect(try await rig.rolledOut(1) == .done)
            let six = await rig.instances().filter(\.healthy)
            #expect(six.count == 6)
            #expect(zones(six) == ["za": 2, "zb": 2, "zc": 2])
            #expect(Set(six.map(\.supervisor)).count == 3)
            #expect(try await rig.containers().count == 6)

            try await rig.apply(ClusterRig.deploy(image: "atlantis/sample:v1", instances: 3))
            #expect(await eventually { try await rig.containers().count == 3 })
            let three = await rig.instances()
            #expect(zones(three) == ["za": 1, "zb": 1, "zc": 1])
            #expect(await rig.deployStatus()?.condition("Ready")?.status == "True")
        }
    }

    @Test func aLostSupervisorsInstancesAreRescheduled() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb", "zc"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24200 + i * 20)...(24219 + i * 20))
            }
            try await rig.startScheduler(lostAfter: .seconds(1))
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 3)
            )
            #expect(try await rig.rolledOut(1) == .done)
            let lostHost = try #require(rig.hostIDs.first { $0.hasPrefix("zc") })
            await rig.killSupervisor(zone: "zc")
            // After the grace period the instance on zc is placed on a live host, and served.
            #expect(
                await eventually(.seconds(30)) {
                    guard let placement = await rig.placement(), placement.instances.count == 3 else { return false }
                    guard placement.instances.allSatisfy({ $0.host != lostHost }) else { return false }
                    let healthy = await rig.instances().filter { $0.healthy && $0.supervisor != lostHost }
                    return healthy.count == 3
                }
            )
            let placement = try #require(await rig.placement())
            #expect(Set(placement.instances.map(\.zone)) == ["za", "zb"])
            #expect(try await rig.admin.children(rig.tree.assignments(host: lostHost)).isEmpty)
            #expect(
                await rig.instances().allSatisfy { $0.supervisor != lostHost },
                "the lost host's reports are withdrawn"
            )
            let ready = await rig.deployStatus()?.condition("Ready")
            #expect(ready?.status == "True", "\(ready?.message ?? "")")
        }
    }

    @Test func aRollingUpdateUnderLoadDropsNoRequest() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb", "zc"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24300 + i * 20)...(24319 + i * 20))
            }
            try await rig.startScheduler()
            try await rig.startRouter()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 3)
            )
            try await rig.apply(ClusterRig.route)
            #expect(try await rig.rolledOut(1) == .done)
            #expect(await rig.get("/version") == (200, "v1\n"))

            // A client sends requests through the router all the while.
            let results = Mutex<[Int: Int]>([:])
            let versions = Mutex<Set<String>>([])
            let stop = Mutex(false)
            let client = Task {
                while !stop.withLock({ $0 }) {
                    let (code, body) = await rig.get("/version")
                    results.withLock { $0[code, default: 0] += 1 }
                    if code == 200 {
                        _ = versions.withLock { $0.insert(body) }
                    } else {
                        print("request failed: \(code) \(body)")
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            try await rig.apply(ClusterRig.deploy(image: "127.0.0.1:5000/atlantis/sample:v2", instances: 3))
            #expect(try await rig.rolledOut(2) == .done)
            try await Task.sleep(for: .milliseconds(300))
            stop.withLock { $0 = true }
            await client.value
            let counts = results.withLock { $0 }
            #expect(counts.keys.sorted() == [200], "every request answered 200: \(counts)")
            #expect((counts[200] ?? 0) > 50)
            #expect(versions.withLock { $0 } == ["v1\n", "v2\n"])
            #expect(await rig.get("/version") == (200, "v2\n"))
            let instances = await rig.instances().filter(\.serving)
            #expect(instances.count == 3 && instances.allSatisfy { $0.release == Release.name(2) })
            // Release 1 stays warm: running, health-checked, not routed.
            #expect(
                await eventually {
                    let warm = await rig.instances().filter { $0.standby == true }
                    return warm.count == 3 && warm.allSatisfy { $0.healthy && $0.release == Release.name(1) }
                }
            )
            let containersBefore = Set(try await rig.containers().map(\.id))
            #expect(zones(instances) == ["za": 1, "zb": 1, "zc": 1])

            // Undo is a pointer move: the warm release-1 containers are routed again, no new
            // container is started (bench/deploy.sh measures how fast traffic switches).
            let undone = try await rig.manager.undo(deploy: "sample-prod")
            #expect(undone.number == 1)
            #expect(await eventually(.seconds(5)) { await rig.get("/version") == (200, "v1\n") })
            #expect(try await rig.rolledOut(1) == .done)
            #expect(await rig.get("/version") == (200, "v1\n"))
            #expect(
                Set(try await rig.containers().map(\.id)).isSubset(of: containersBefore),
                "no container was started for the undo"
            )
        }
    }

    @Test func aBrokenReleaseIsRolledBackAutomatically() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24400 + i * 20)...(24419 + i * 20))
            }
            try await rig.startScheduler()
            try await rig.startRouter()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 2)
            )
            try await rig.apply(ClusterRig.route)
            #expect(try await rig.rolledOut(1) == .done)
            // busybox:base runs /bin/sh and exits at once: it never answers its health check.
            try await rig.apply(ClusterRig.deploy(image: "atlantis/busybox:base", instances: 2, deadline: 4))
            let outcome = try await rig.rolledOut(2)
            guard case .rolledBack(let message) = outcome else {
                Issue.record("expected a rollback, got \(outcome)")
                return
            }
            #expect(message.contains("release 2 did not become healthy"))
            #expect(
                await eventually {
                    let placement = await rig.placement()
                    return placement?.instances.count == 2
                        && placement?.instances.allSatisfy { $0.release == 1 } == true
                }
            )
            #expect(await rig.placement()?.failed == [2])
            #expect(await rig.get("/version") == (200, "v1\n"))
            #expect(await eventually { try await rig.containers().count == 2 })
        }
    }

    @Test func teardownLeavesNoContainerAssignmentOrRoute() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24500 + i * 20)...(24519 + i * 20))
            }
            try await rig.startScheduler()
            try await rig.startRouter()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 2)
            )
            try await rig.apply(ClusterRig.route)
            #expect(try await rig.rolledOut(1) == .done)
            let plan = try await rig.manager.teardown(deploy: "sample-prod")
            #expect(Set(plan.actions.map(\.key.description)) == [#"Route "sample""#, #"Deploy "sample-prod""#])
            let outcome = try await rig.watcher.waitTornDown(
                deploy: "sample-prod",
                app: "sample",
                environment: "prod",
                timeout: .seconds(30)
            ) { _ in }
            #expect(outcome == .done)
            #expect(try await rig.containers().isEmpty)
            for host in rig.hostIDs {
                // No folder is no assignment; any other failure to read it fails the test.
                let left: [String]
                do {
                    left = try await rig.admin.children(rig.tree.assignments(host: host))
                } catch let error as ZooKeeperError where error.code == .noNode {
                    left = []
                }
                #expect(left.isEmpty, "assignments left on \(host): \(left)")
            }
            #expect(await eventually { await rig.get("/").0 == 404 })
            #expect(await eventually { await rig.deployStatus() == nil })
        }
    }

    @Test func aKilledSchedulerIsReplacedByTheNextOneWithNothingLost() async throws {
        try await ClusterRig.with { rig in
            for (i, zone) in ["za", "zb"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24700 + i * 20)...(24719 + i * 20))
            }
            try await rig.startScheduler(identity: "s1")
            try await rig.startScheduler(identity: "s2")
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 2)
            )
            #expect(try await rig.rolledOut(1) == .done)
            let before = try #require(await rig.placement())
            let killed = try #require(try await rig.killLeadingScheduler())
            // The survivor leads: the placement it inherits is kept, and it acts on new changes.
            try await rig.apply(ClusterRig.deploy(image: "atlantis/sample:v1", instances: 4))
            #expect(try await rig.rolledOut(1) == .done)
            let after = try #require(await rig.placement())
            #expect(after.instances.count == 4)
            #expect(
                Set(before.instances.map(\.id)).isSubset(of: Set(after.instances.map(\.id))),
                "no instance of \(killed)'s term was lost or replaced"
            )
            #expect(try await rig.containers().count == 4)
        }
    }

    @Test func aZooKeeperRestartLosesNothingAndTheClusterConvergesAgain() async throws {
        let zk = ["/bin/bash", Repository.path("scripts/zk.sh")]
        #expect(Spawn.run(zk + ["standalone", "deployzk", "2195"]).status == 0)
        defer { Spawn.run(zk + ["stop", "deployzk"]) }
        try await ClusterRig.with(zkHosts: "127.0.0.1:2195") { rig in
            for (i, zone) in ["za", "zb"].enumerated() {
                try await rig.startSupervisor(zone: zone, ports: (24800 + i * 20)...(24819 + i * 20))
            }
            try await rig.startScheduler()
            try await rig.startRouter()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 2)
            )
            try await rig.apply(ClusterRig.route)
            #expect(try await rig.rolledOut(1) == .done)
            let before = Set(try await rig.containers().map(\.id))

            // ZooKeeper dies: the router keeps serving what it knows, the containers keep running.
            #expect(Spawn.run(zk + ["kill", "deployzk"]).status == 0)
            for _ in 0..<10 {
                #expect(await rig.get("/version") == (200, "v1\n"))
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(Spawn.run(zk + ["start", "deployzk"]).status == 0)

            // Back: every agent resumes, nothing was recreated, and new work is done.
            try await rig.apply(ClusterRig.deploy(image: "atlantis/sample:v1", instances: 3))
            #expect(try await rig.rolledOut(1, timeout: .seconds(60)) == .done)
            let after = Set(try await rig.containers().map(\.id))
            #expect(after.count == 3)
            #expect(before.isSubset(of: after), "the running containers were kept")
            #expect(await eventually { try await rig.admin.children(rig.tree.supervisors).count == 2 })
            #expect(await rig.get("/version") == (200, "v1\n"))
        }
    }

    @Test func shortCapacityIsReportedWithItsReason() async throws {
        try await ClusterRig.with { rig in
            try await rig.startSupervisor(zone: "za", ports: 24600...24601)  // capacity: 50 containers, 2 ports
            try await rig.startScheduler()
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + """
                    apiVersion: atlantis/v1
                    kind: Deploy
                    metadata: {name: sample-prod}
                    spec: {app: sample, environment: prod, image: atlantis/sample:v1, instances: 2, cpu: 64}
                    """
            )
            #expect(await eventually { await rig.deployStatus()?.condition("Ready")?.reason == "InsufficientCapacity" })
            let status = try #require(await rig.deployStatus())
            #expect(status.lastError?.contains("could not be placed") == true, "\(status.lastError ?? "")")
            #expect(try await rig.containers().isEmpty)
        }
    }
}
