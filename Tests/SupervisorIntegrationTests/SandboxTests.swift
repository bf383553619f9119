import Docker
import Foundation
import Spawn
import TestSupport
import Testing
import ZKModel

@testable import Supervisor

/// Warm network sandboxes (`SandboxPool`), against the real dockerd: a new instance's container
/// joins one, and the two live and die together.
@Suite("Warm sandboxes, against the real dockerd", .serialized)
struct SandboxTests {
    @Test func aNewInstanceJoinsASpareThatIsReplacedAndLeavesWithIt() async throws {
        try await SupervisorRig.with(ports: 23260...23269, warmSandboxes: 1) { rig in
            rig.start()
            let pool = try #require(rig.agent?.sandboxes)
            #expect(await eventually(.seconds(30)) { pool.spares.count == 1 })
            let spare = try #require(pool.spares.first)
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let status = try #require(await rig.status("web-1"))
            // Its port is the one the spare published, its address the spare's.
            #expect(status.port == spare.hostPort && spare.containerPort == 8080)
            let box = try #require(try await rig.docker.inspect(container: spare.id))
            #expect(status.containerAddress == box.ipAddress && !box.ipAddress.isEmpty)
            let containerID = try #require(status.containerID)
            let container = try #require(try await rig.docker.inspect(container: containerID))
            #expect(container.labels["atlantis.sandbox"] == spare.id)
            #expect(Loopback.curl("http://127.0.0.1:\(status.port)/health", extra: ["--max-time", "3"]).status == 200)
            // Its workload runs as the image says, without the gate's wait in front.
            let (_, top) = Spawn.run(["docker", "top", container.id])
            #expect(top.contains("httpd") && !top.contains("atlantis-gate"), "\(top)")
            // A new spare is made for the next start, on another port.
            #expect(await eventually { pool.spares.count == 1 && pool.spares.first?.id != spare.id })
            #expect(pool.spares.first?.hostPort != spare.hostPort)

            try await rig.unassign("web-1")
            #expect(
                await eventually {
                    let left = try await rig.containers().map(\.id)
                    return !left.contains(container.id) && !left.contains(spare.id)
                }
            )
            #expect(try await rig.sandboxes().map(\.id) == pool.spares.map(\.id))
        }
    }

    @Test func aSandboxThatStopsTakesItsContainerWhichIsReplaced() async throws {
        try await SupervisorRig.with(ports: 23270...23279, warmSandboxes: 1) { rig in
            rig.start()
            let pool = try #require(rig.agent?.sandboxes)
            #expect(await eventually(.seconds(30)) { pool.spares.count == 1 })
            // Probed once a minute: the replacement comes from the sandbox's own event (the
            // controller's resync is 30 s away), not from a probe.
            var assignment = SupervisorRig.sample("web-1")
            assignment.healthCheck?.intervalSeconds = 60
            try await rig.assign(assignment)
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let first = try #require(await rig.status("web-1")?.containerID)
            let sandbox = try #require(try await rig.docker.inspect(container: first)?.labels["atlantis.sandbox"])
            try await rig.docker.kill(container: sandbox)
            #expect(
                await eventually(.seconds(15)) {
                    guard let now = await rig.status("web-1") else { return false }
                    return now.healthy && now.containerID != first && now.restarts == 1
                }
            )
            let left = try await rig.containers().map(\.id)
            #expect(!left.contains(first) && !left.contains(sandbox))
            let status = try #require(await rig.status("web-1"))
            #expect(Loopback.curl("http://127.0.0.1:\(status.port)/health", extra: ["--max-time", "3"]).status == 200)
        }
    }

    @Test func aRestartedSupervisorAdoptsItsSandboxedContainerAndItsSpare() async throws {
        try await SupervisorRig.with(ports: 23280...23289, warmSandboxes: 1) { rig in
            rig.start()
            let pool = try #require(rig.agent?.sandboxes)
            #expect(await eventually(.seconds(30)) { pool.spares.count == 1 })
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            #expect(await eventually { pool.spares.count == 1 })
            let before = try #require(await rig.status("web-1"))
            let spare = try #require(pool.spares.first)
            await rig.kill()

            rig.start()
            let adopted = try #require(rig.agent?.sandboxes)
            #expect(await eventually { adopted.spares.map(\.id) == [spare.id] })
            #expect(adopted.spares.first?.hostPort == spare.hostPort)
            // Same container, same port, no restart; its egress rules checked again.
            try await Task.sleep(for: .seconds(2))
            let after = try #require(await rig.status("web-1"))
            #expect(after.healthy && after.containerID == before.containerID && after.port == before.port)
            #expect(after.restarts == 0)
            #expect(try await rig.sandboxes().count == 2)
            // A second instance takes the adopted spare.
            try await rig.assign(SupervisorRig.sample("web-2"))
            #expect(await eventually { await rig.status("web-2")?.healthy == true })
            #expect(await rig.status("web-2")?.port == spare.hostPort)
        }
    }
}
