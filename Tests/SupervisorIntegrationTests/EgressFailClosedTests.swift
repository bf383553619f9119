import Docker
import Foundation
import Spawn
import TestSupport
import Testing
import ZKModel

@testable import Supervisor

/// Egress rules fail closed: a workload never has the network before its rules, and a container
/// whose rules cannot be applied does not keep running.
@Suite("Egress rules fail closed, against the real dockerd and iptables", .serialized)
struct EgressFailClosedTests {
    /// The sample app, made to call `$DECLARED` and `$UNDECLARED` the moment it starts and to serve
    /// what it reached at /probe (`declared=yes undeclared=no` is right). Made with `docker commit` from the sample image: no
    /// build, nothing pulled. (busybox's `wget -T` crashes: `timeout` bounds the call instead.)
    static func eagerImage() throws -> String {
        let image = "atlantis-test/eager:3"
        if Spawn.run(["docker", "image", "inspect", image]).status == 0 { return image }
        let name = "atlantis-eager-\(UUID().uuidString.prefix(6))"
        defer { _ = Spawn.run(["docker", "rm", "-f", name]) }
        let script =
            "d=no; timeout 2 wget -q -O /dev/null http://$DECLARED/ && d=yes; u=no; timeout 2 wget -q -O /dev/null http://$UNDECLARED/ && u=yes; echo declared=$d undeclared=$u >/www/probe; exec httpd -f -p ${ATLANTIS_PORT:-8080} -h /www"
        for step in [
            ["docker", "create", "--name", name, "atlantis/sample:v1"],
            ["docker", "commit", "--change", #"CMD ["/bin/sh", "-c", "\#(script)"]"#, name, image],
        ] {
            let (status, output) = Spawn.run(step)
            guard status == 0 else { throw EgressTestError("\(step.joined(separator: " ")) failed: \(output)") }
        }
        return image
    }

    enum Start: String, CaseIterable, Sendable {
        case gated, ungated, sandboxed
    }

    /// With the start gate, and in a warm sandbox (rules in its namespace before the workload
    /// starts), the workload reaches its declared dependency from its first instruction and
    /// nothing else; without a gate (no static busybox) it starts with loopback only and still
    /// reaches nothing undeclared.
    @Test(arguments: Start.allCases)
    func aWorkloadThatCallsOutTheMomentItStartsReachesNothingUndeclared(start: Start) async throws {
        let gated = start != .ungated
        let gateway = SupervisorIntegrationTests.bridgeGateway()
        let (declared, undeclared) = (Loopback.freePort(), Loopback.freePort())
        let servers = [declared, undeclared].map {
            TestProcesses.spawn(["python3", "-m", "http.server", "--bind", gateway, "\($0)", "--directory", "/tmp"])
        }
        defer { servers.forEach { Spawn.kill($0) } }
        for port in [declared, undeclared] {
            #expect(
                await eventually {
                    Loopback.curl("http://\(gateway):\(port)/", extra: ["--max-time", "1"]).status == 200
                }
            )
        }
        let image = try Self.eagerImage()
        let shell = gated ? "/bin/busybox" : "/nonexistent/busybox"
        let ports = [Start.gated: 23140...23149, .ungated: 23150...23159, .sandboxed: 23240...23249][start]!
        let spares = start == .sandboxed ? 3 : 0
        try await SupervisorRig.with(ports: ports, gateShell: shell, warmSandboxes: spares) { rig in
            try await rig.service("db", endpoints: [(gateway, declared)])
            rig.start()
            if spares > 0 {
                #expect(await eventually(.seconds(30)) { rig.agent?.sandboxes?.spares.count == spares })
            }
            let instances = ["eager-1", "eager-2", "eager-3"]
            for id in instances {
                var assignment = SupervisorRig.sample(id, image: image, dependsOn: ["db"])
                assignment.env = ["DECLARED": "\(gateway):\(declared)", "UNDECLARED": "\(gateway):\(undeclared)"]
                try await rig.assign(assignment)
            }
            let expected = gated ? "declared=yes undeclared=no\n" : "declared=no undeclared=no\n"
            for id in instances {
                #expect(await eventually(.seconds(30)) { await rig.status(id)?.healthy == true })
                let published = try #require(await rig.status(id)?.port)
                let (status, body) = Loopback.curl("http://127.0.0.1:\(published)/probe", extra: ["--max-time", "3"])
                let text = String(decoding: body, as: UTF8.self)
                #expect(status == 200 && text == expected, "\(id): \(status) \(text)")
            }
            let joined = try await rig.containers().filter { $0.labels["atlantis.sandbox"] != nil }
            #expect(joined.count == (start == .sandboxed ? instances.count : 0))
        }
    }

    @Test func aContainerWhoseRulesCannotBeAppliedIsStoppedAndReported() async throws {
        let fake = FileManager.default.temporaryDirectory.appendingPathComponent("nsenter-fails-\(UUID().uuidString)")
        try "#!/bin/sh\necho 'injected: cannot enter the namespace' >&2\nexit 1\n".write(
            to: fake,
            atomically: true,
            encoding: .utf8
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        defer { try? FileManager.default.removeItem(at: fake) }
        try await SupervisorRig.with(ports: 23160...23169, nsenter: fake.path) { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("nsfail-1"))
            #expect(
                await eventually(.seconds(30)) {
                    let status = await rig.status("nsfail-1")
                    return status?.state == .failed && status?.lastError?.contains("egress rules not applied") == true
                }
            )
            let status = await rig.status("nsfail-1")
            #expect(
                status?.lastError?.contains("injected: cannot enter the namespace") == true,
                "\(status?.lastError ?? "")"
            )
            #expect(status?.healthy == false)
            // Retried with backoff, but its workload never ran: every container of it is held
            // behind its start gate (or, without one, has no network).
            let gate = "\(rig.configuration.gateDirectory)/\(rig.hostID)/atlantis-\(rig.hostID)-nsfail-1/open"
            for _ in 0..<20 {
                let running = try await rig.containers().filter(\.isRunning)
                for container in running {
                    let details = try await rig.docker.inspect(container: container.id)
                    let held = !FileManager.default.fileExists(atPath: gate) || details?.networks == ["none"]
                    #expect(held, "a container without rules runs its workload: \(details?.networks ?? [])")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

struct EgressTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
