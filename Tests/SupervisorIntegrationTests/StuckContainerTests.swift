import Docker
import Foundation
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

@testable import Supervisor

/// A container the Engine cannot remove ("Removal In Progress", as dockerd leaves one after a
/// restart, or a busy mount) must not block its instance. Made for real: a file in the container's
/// writable layer marked immutable (`chattr +i`) makes the Engine's removal fail exactly so.
@Suite("A container the Engine cannot remove", .serialized)
struct StuckContainerTests {
    /// The container's writable layer on the host (overlay2's UpperDir).
    static func upperDir(_ id: String) throws -> String {
        let out = Spawn.run3([
            "curl", "-s", "--unix-socket", "/var/run/docker.sock", "http://localhost/v1.41/containers/\(id)/json",
        ]).stdout
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let driver = try #require(json["GraphDriver"] as? [String: Any])
        let data = try #require(driver["Data"] as? [String: String])
        return try #require(data["UpperDir"])
    }

    @Test func doesNotBlockItsInstanceAndIsRemovedOnceTheEngineCan() async throws {
        try await SupervisorRig.with(ports: 23200...23219) { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let first = try #require(await rig.status("web-1")?.containerID)
            let pin = "\(try Self.upperDir(first))/atlantis-pin"
            #expect(FileManager.default.createFile(atPath: pin, contents: nil))
            #expect(Spawn.run(["chattr", "+i", pin]).status == 0)
            defer { _ = Spawn.run(["chattr", "-i", pin]) }

            // It dies; the Engine cannot remove it: the instance runs again in a new container,
            // under another name, and the stuck one is reported.
            try await rig.docker.kill(container: first)
            #expect(
                await eventually(.seconds(15)) {
                    guard let s = await rig.status("web-1") else { return false }
                    return s.healthy && s.containerID != first && s.containerID != nil
                }
            )
            let status = try #require(await rig.status("web-1"))
            #expect(status.lastError?.contains("cannot be removed") == true, "\(status.lastError ?? "nil")")
            #expect(Loopback.curl("http://127.0.0.1:\(status.port)/health", extra: ["--max-time", "3"]).0 == 200)
            let containers = try await rig.containers()
            #expect(containers.count == 2, "the new one and the stuck one, nothing more: \(containers.map(\.names))")
            let replacement = try #require(containers.first { $0.id == status.containerID })
            #expect(replacement.names == ["/atlantis-\(rig.hostID)-web-1-2"])
            #expect(containers.first { $0.id == first }.map { $0.state == "removing" || $0.state == "dead" } == true)

            // Unassigned while the stuck one is still there: the status goes, the running one too.
            try await rig.unassign("web-1")
            #expect(await eventually(.seconds(15)) { await rig.status("web-1") == nil })
            #expect(await eventually(.seconds(10)) { (try? await rig.containers().map(\.id)) == [first] })

            // The Engine can remove it again: the supervisor does, on its own.
            #expect(Spawn.run(["chattr", "-i", pin]).status == 0)
            #expect(await eventually(.seconds(90)) { (try? await rig.containers().isEmpty) == true })
        }
    }

    /// An assignment written behind the scheduler's back that does not read: the container of the
    /// last valid one keeps running and answering, the instance's status says why, and the next
    /// valid assignment is taken up.
    @Test func anUnreadableAssignmentLeavesTheInstanceRunningAndIsReported() async throws {
        try await SupervisorRig.with(ports: 23220...23239) { rig in
            rig.start()
            try await rig.assign(SupervisorRig.sample("web-1"))
            #expect(await eventually { await rig.status("web-1")?.healthy == true })
            let first = try #require(await rig.status("web-1"))
            try await rig.zk.setData(
                "\(rig.tree.assignments(host: rig.hostID))/web-1",
                data: Array(#"{"instance":"web-1","app":"sample","image":7}"#.utf8)
            )
            #expect(
                await eventually(.seconds(10)) {
                    await rig.status("web-1")?.lastError?.contains("is invalid") == true
                }
            )
            let status = try #require(await rig.status("web-1"))
            #expect(status.containerID == first.containerID && status.healthy)
            #expect(Loopback.curl("http://127.0.0.1:\(first.port)/health", extra: ["--max-time", "3"]).0 == 200)
            #expect(try await rig.containers().map(\.id) == [first.containerID])

            try await rig.assign(SupervisorRig.sample("web-1", image: "atlantis/sample:v2"))
            #expect(
                await eventually(.seconds(15)) {
                    guard let s = await rig.status("web-1") else { return false }
                    return s.healthy && s.containerID != first.containerID
                }
            )
        }
    }
}
