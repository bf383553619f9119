import Docker
import Foundation
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Manager
@testable import Scheduler

/// A supervisor's host lost (its process SIGKILLed with its containers: the session expires
/// after `--session-timeout`, then the scheduler waits `--lost-after`), with the shipped defaults
/// (4 s and 4 s): its instances run elsewhere and are served within seconds; a supervisor that
/// comes back within that window keeps its instances (no flapping).
@Suite("Host loss with the default timeouts", .serialized)
struct HostLossTests {
    static let binary = URL(fileURLWithPath: Repository.root).appendingPathComponent(".build/debug/atlantis").path

    /// `atlantis supervisor` as its own process (a real crash is a SIGKILL, not a closed session).
    static func supervisorProcess(_ rig: ClusterRig, id: String, zone: String, ports: String) -> Int32 {
        let log = "/tmp/atl-hostloss-\(id).log"
        return TestProcesses.spawn(
            [
                binary, "supervisor", "--zk", rig.zkHosts, "--root", rig.tree.root, "--host-id", id, "--zone", zone,
                "--ports", ports, "--stop-grace", "1", "--logs-port", "\(Loopback.freePort())",
            ],
            stdout: log,
            stderr: log
        )
    }

    @Test func aLostHostsInstancesServeElsewhereWithinTheWindowAndAQuickReturnKeepsThem() async throws {
        try await ClusterRig.with { rig in
            try await rig.startSupervisor(zone: "za", ports: 24400...24419)
            try await rig.startSupervisor(zone: "zb", ports: 24420...24439)
            let lostHost = "zc-\(rig.suffix)"
            rig.hostIDs.append(lostHost)
            var pid = Self.supervisorProcess(rig, id: lostHost, zone: "zc", ports: "24440-24459")
            defer { Spawn.kill(pid) }
            try await rig.startScheduler(lostAfter: .seconds(4))
            try await rig.apply(
                ClusterRig.app() + "\n---\n" + ClusterRig.deploy(image: "atlantis/sample:v1", instances: 3)
            )
            #expect(try await rig.rolledOut(1, timeout: .seconds(60)) == .done)
            let placed = try #require(await rig.placement())
            #expect(placed.instances.contains { $0.host == lostHost })

            // A quick return: the process killed and started again at once. Its old session
            // expires (4 s), the new one registers right after: nothing is placed again.
            Spawn.kill(pid)
            pid = Self.supervisorProcess(rig, id: lostHost, zone: "zc", ports: "24440-24459")
            try await Task.sleep(for: .seconds(12))
            let after = try #require(await rig.placement())
            #expect(Set(after.instances.map(\.id)) == Set(placed.instances.map(\.id)), "instances were placed again")
            #expect(
                await eventually(.seconds(10)) {
                    await rig.instances().filter { $0.healthy && $0.supervisor == lostHost }.count == 1
                },
                "the returned supervisor adopted its instance"
            )

            // The host is lost: the supervisor and its containers killed.
            Spawn.kill(pid)
            for c in try await rig.docker.containers(labels: ["atlantis.host=\(lostHost)"]) {
                try? await rig.docker.kill(container: c.id)
            }
            let lost = ContinuousClock.now
            let moved = await eventually(.seconds(20)) {
                guard let placement = await rig.placement(), placement.instances.count == 3,
                    placement.instances.allSatisfy({ $0.host != lostHost })
                else { return false }
                let serving = await rig.instances().filter { $0.healthy && $0.supervisor != lostHost }
                return Set(serving.map(\.supervisor)) == Set(rig.hostIDs.filter { $0 != lostHost })
                    && serving.count == 3
            }
            #expect(moved, "the lost host's instance was not placed and healthy elsewhere within 20 s")
            print("host lost → its instance healthy elsewhere after \(ContinuousClock.now - lost)")
            #expect(ContinuousClock.now - lost > .seconds(4), "placed again before the host could count as lost")
        }
    }
}
