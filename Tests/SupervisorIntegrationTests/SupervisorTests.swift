import Docker
import Foundation
import Reconciler
import ServiceLifecycle
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Supervisor

@Suite("Supervisor against the real dockerd", .serialized)
struct SupervisorIntegrationTests {
    func get(_ port: Int, _ path: String) -> (Int, String) {
        let (status, body) = Loopback.curl("http://127.0.0.1:\(port)\(path)", extra: ["--max-time", "3"])
        return (status, String(decoding: body, as: UTF8.self))
    }

    @Test func assignedInstanceRunsHealthyWithItsEnvironmentAndTheHostRegisters() async throws {
        try await SupervisorRig.with(ports: 23000...23019, zone: "zone-a") { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let status = try #require(await rig.status("web-1"))
            #expect(status.state == .running)
            #expect(status.host == "127.0.0.1" && (23000...23019).contains(status.port))
            #expect(status.supervisor == rig.hostID && status.zone == "zone-a" && status.restarts == 0)
            let (code, body) = get(status.port, "/cgi-bin/info")
            #expect(code == 200)
            #expect(
                body.contains("app=sample environment=test instance=web-1 zone=zone-a host=\(rig.hostID) version=v1")
            )
            let containers = try await rig.containers()
            #expect(containers.count == 1)
            #expect(containers.first?.id == status.containerID)
            #expect(containers.first?.labels["atlantis.instance"] == "web-1")

            let (data, stat) = try await rig.zk.getData("\(rig.tree.supervisors)/\(rig.hostID)")
            #expect(stat.ephemeralOwner == rig.zk.sessionID)
            let registration = try JSONDecoder().decode(SupervisorRegistration.self, from: Data(data))
            #expect(
                registration.zone == "zone-a" && registration.address == "127.0.0.1"
                    && registration.ports?.first == 23000
            )
        }
    }

    @Test func scalesUpAndDown() async throws {
        try await SupervisorRig.with(ports: 23020...23039) { rig in
            rig.start()
            for i in 1...3 { try await rig.assign(SupervisorRig.sample("web-\(i)")) }
            #expect(
                await eventually {
                    var healthy = 0
                    for i in 1...3 where await rig.status("web-\(i)")?.healthy == true { healthy += 1 }
                    return healthy == 3
                }
            )
            let ports = Set(
                await [rig.status("web-1"), rig.status("web-2"), rig.status("web-3")].compactMap { $0?.port }
            )
            #expect(ports.count == 3)
            #expect(try await rig.containers().count == 3)

            try await rig.unassign("web-2")
            try await rig.unassign("web-3")
            #expect(await eventually { try await rig.containers().count == 1 })
            #expect(
                await eventually {
                    let gone2 = await rig.status("web-2") == nil
                    let gone3 = await rig.status("web-3") == nil
                    return gone2 && gone3
                }
            )
            #expect(try await rig.containers().first?.labels["atlantis.instance"] == "web-1")
            #expect(await rig.status("web-1")?.healthy == true)
        }
    }

    @Test func aKilledContainerIsReplacedAndCounted() async throws {
        try await SupervisorRig.with(ports: 23040...23059) { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let first = try #require(await rig.status("web-1")?.containerID)
            try await rig.docker.kill(container: first)
            #expect(
                await eventually(.seconds(10)) {
                    guard let s = await rig.status("web-1") else { return false }
                    return s.healthy && s.containerID != first && s.restarts == 1
                }
            )
            let status = try #require(await rig.status("web-1"))
            #expect(status.lastError?.contains("exited with code 137") == true)
            #expect(get(status.port, "/health").0 == 200)
            #expect(try await rig.containers().count == 1)
        }
    }

    @Test func aRestartedSupervisorProcessAdoptsItsContainersAndRemovesOrphans() async throws {
        try await SupervisorRig.with(ports: 23060...23079) { rig in
            let binary = SupervisorRig.repoRoot.appendingPathComponent(".build/debug/atlantis").path
            let arguments = [
                binary, "supervisor", "--zk", SupervisorRig.zkHosts, "--root", rig.tree.root, "--host-id", rig.hostID,
                "--zone", "z1", "--ports", "23060-23079", "--stop-grace", "2",
            ]
            let log = "/tmp/atl-supervisor-\(rig.hostID).log"
            var pid = TestProcesses.spawn(arguments, stdout: log, stderr: log)
            for i in 1...2 { try await rig.assign(SupervisorRig.sample("web-\(i)")) }
            #expect(
                await eventually {
                    let one = await rig.status("web-1")?.healthy == true
                    let two = await rig.status("web-2")?.healthy == true
                    return one && two
                }
            )
            let before = Set(try await rig.instanceContainers().map(\.id))
            #expect(before.count == 2)
            // The binary keeps a warm sandbox (`--warm-sandboxes 1`): made once, adopted after.
            #expect(await eventually { try await rig.sandboxes().filter(\.isRunning).count >= 1 })
            let sandboxes = Set(try await rig.sandboxes().map(\.id))

            // Killed outright; meanwhile a container of this host appears that nobody assigned.
            Spawn.kill(pid)
            let orphan = try await rig.docker.create(
                name: "atlantis-\(rig.hostID)-orphan",
                ContainerConfig(
                    image: "atlantis/sample:v1",
                    env: [],
                    labels: ["atlantis.host": rig.hostID, "atlantis.instance": "orphan"],
                    containerPort: 8080,
                    hostIP: "127.0.0.1",
                    hostPort: 23079
                )
            )
            try await rig.docker.start(container: orphan)

            pid = TestProcesses.spawn(arguments, stdout: log, stderr: log)
            defer { Spawn.kill(pid) }
            #expect(await eventually { try await rig.instanceContainers().count == 2 })
            #expect(
                Set(try await rig.instanceContainers().map(\.id)) == before,
                "the running containers were adopted, not recreated"
            )
            try await Task.sleep(for: .seconds(1))
            #expect(Set(try await rig.sandboxes().map(\.id)) == sandboxes, "the sandboxes were adopted, not recreated")
            #expect(try await rig.docker.inspect(container: orphan) == nil, "the orphan was removed")
            for i in 1...2 {
                let status = await rig.status("web-\(i)")
                #expect(status?.healthy == true && status?.restarts == 0)
            }
        }
    }

    @Test func egressReachesOnlyTheDeclaredServices() async throws {
        try await SupervisorRig.with(ports: 23080...23099) { rig in
            let gateway = Self.bridgeGateway()
            // Two HTTP servers on the host's bridge address: one declared as a dependency, one not.
            let allowedPort = Loopback.freePort()
            let blockedPort = Loopback.freePort()
            let servers = [allowedPort, blockedPort].map {
                TestProcesses.spawn(["python3", "-m", "http.server", "--bind", gateway, "\($0)", "--directory", "/tmp"])
            }
            defer { servers.forEach { Spawn.kill($0) } }
            for port in [allowedPort, blockedPort] {
                #expect(
                    await eventually {
                        Loopback.curl("http://\(gateway):\(port)/", extra: ["--max-time", "1"]).status == 200
                    }
                )
            }
            try await rig.service("allowed", endpoints: [(gateway, allowedPort)])
            try await rig.service("blocked", endpoints: [(gateway, blockedPort)])
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1", dependsOn: ["allowed"]))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let container = try #require(await rig.status("web-1")?.containerID)

            func reach(_ port: Int) -> Bool {
                Spawn.run([
                    "docker", "exec", container, "timeout", "3", "wget", "-q", "-O", "/dev/null",
                    "http://\(gateway):\(port)/",
                ]).status == 0
            }
            #expect(reach(allowedPort), "a declared dependency is reachable")
            #expect(!reach(blockedPort), "an undeclared service is blocked")
            // The rules live in the container's namespace, once, whatever happens next.
            let pid = try #require(try await rig.docker.inspect(container: container)?.state.pid)
            let rules = Spawn.run(["nsenter", "-t", "\(pid)", "-n", "iptables", "-S"]).output
            #expect(rules.components(separatedBy: "-j ATLANTIS-EGRESS").count == 2)
            #expect(rules.contains("--dport \(allowedPort)") && !rules.contains("--dport \(blockedPort)"))

            // Declaring the second service opens it, live, without a new container.
            var assignment = SupervisorRig.sample("web-1", dependsOn: ["allowed", "blocked"])
            try await rig.assign(assignment)
            #expect(await eventually { reach(blockedPort) })
            #expect(await rig.status("web-1")?.containerID == container)
            // A supervisor restart re-applies nothing twice.
            await rig.kill()
            rig.start()
            assignment.dependsOn = ["allowed"]
            try await rig.assign(assignment)
            #expect(await eventually { !reach(blockedPort) })
            let after = Spawn.run(["nsenter", "-t", "\(pid)", "-n", "iptables", "-S"]).output
            #expect(
                after.components(separatedBy: "\n").filter { $0.hasPrefix("-A") }.count
                    == rules.components(separatedBy: "\n").filter { $0.hasPrefix("-A") }.count
            )
        }
    }

    @Test func aBadImageIsReportedAndRetriedWithBackoffUntilFixed() async throws {
        try await SupervisorRig.with(ports: 23100...23119) { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1", image: "127.0.0.1:5000/atlantis/no-such-image:v1"))
            #expect(await eventually { await rig.status("web-1")?.state == .failed })
            let status = try #require(await rig.status("web-1"))
            #expect(!status.healthy)
            #expect(status.lastError?.contains("127.0.0.1:5000/atlantis/no-such-image:v1") == true)
            // Retried, but backing off: a handful of attempts in three seconds, not hundreds
            // (each failed start waits 0.5 s, 1 s, 2 s ... before the next).
            try await Task.sleep(for: .seconds(3))
            let failures = try #require(rig.agent?.history.entry("web-1").crashesSinceHealthy)
            #expect(failures >= 2 && failures <= 5, "\(failures) attempts in 3 s")
            #expect(try await rig.containers().isEmpty)

            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
        }
    }

    @Test func imagesMissingLocallyArePulledFromTheRegistry() async throws {
        try await SupervisorRig.with(ports: 23120...23139) { rig in
            let image = "127.0.0.1:5000/atlantis/sample:v2"
            try await rig.docker.removeImage(image)
            #expect(try await !rig.docker.imageExists(image))
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1", image: image))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            #expect(try await rig.docker.imageExists(image))
            let port = try #require(await rig.status("web-1")?.port)
            #expect(get(port, "/version").1 == "v2\n")
        }
    }

    @Test func aPortTakenOutsideAtlantisIsReportedAndAnotherUsed() async throws {
        try await SupervisorRig.with(ports: 23140...23141) { rig in
            let log = "/tmp/atl-squatter-\(getpid()).log"
            defer { unlink(log) }
            let squatter = TestProcesses.spawn(
                ["python3", "-m", "http.server", "--bind", "127.0.0.1", "23140", "--directory", "/tmp"],
                stdout: log,
                stderr: log
            )
            defer { Spawn.kill(squatter) }
            try #require(
                await eventually {
                    Loopback.curl("http://127.0.0.1:23140/", extra: ["--max-time", "1"]).status == 200
                },
                "the squatter on 23140 never answered: \(Spawn.read(log))"
            )
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let status = try #require(await rig.status("web-1"))
            #expect(status.port == 23141)
            #expect(status.lastError?.contains("23140") == true, "\(status.lastError ?? "no error")")
        }
    }

    @Test func gracefulShutdownDeregistersAndLeavesInstancesServing() async throws {
        try await SupervisorRig.with(ports: 23160...23179) { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let registration = "\(rig.tree.supervisors)/\(rig.hostID)"
            #expect(try await rig.zk.exists(registration) != nil)
            await rig.group?.triggerGracefulShutdown()
            await rig.runTask?.value
            #expect(try await rig.zk.exists(registration) == nil)
            let port = try #require(await rig.status("web-1")?.port)
            #expect(get(port, "/health").0 == 200, "containers outlive their supervisor")
        }
    }

    @Test func theRegistrationReturnsAfterASessionExpiry() async throws {
        try await SupervisorRig.with(ports: 23180...23199) { rig in
            rig.start()
            let registration = "\(rig.tree.supervisors)/\(rig.hostID)"
            #expect(await eventually { try await rig.zk.exists(registration) != nil })
            let before = rig.zk.sessionID
            try await rig.zk.expireSessionForTesting()
            #expect(
                await eventually {
                    guard let stat = try await rig.zk.exists(registration) else { return false }
                    return stat.ephemeralOwner == rig.zk.sessionID && rig.zk.sessionID != before
                }
            )
        }
    }

    static func bridgeGateway() -> String {
        let out = Spawn.run(["ip", "-4", "-o", "addr", "show", "docker0"]).output
        guard let range = out.range(of: #"inet (\d+\.\d+\.\d+\.\d+)"#, options: .regularExpression) else {
            return "172.17.0.1"
        }
        return String(out[range].dropFirst(5))
    }
}
