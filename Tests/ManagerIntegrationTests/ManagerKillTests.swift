import Foundation
import Manager
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

#if canImport(Glibc)
import Glibc
#endif

/// A manager killed (SIGKILL) in the middle of an apply: the transaction either happened whole or
/// not at all, and the CLI's retry (against another manager) re-plans and converges.
@Suite("manager killed mid-apply", .serialized)
struct ManagerKillTests {
    @Test func anApplyCutByAKillIsAllOrNothingAndARetryConverges() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let root = h.tree.root
        let examples = Harness.path("examples")
        var outcomes: Set<String> = []
        for attempt in 0..<4 {
            let (pid, url) = try ManagerProcesses.start(binary: CLITests.binary, zooKeeper: Harness.hosts, root: root)
            // A version of the examples with a label of its own: the apply changes every document.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atl-kill-\(UUID())").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let documents = try ManifestLoader().load(paths: [examples]).map { loaded -> JSONValue in
                guard case .object(var document) = loaded.value, case .object(var metadata)? = document["metadata"]
                else {
                    return loaded.value
                }
                var labels = metadata["labels"]?.objectValue ?? [:]
                labels["attempt"] = .string("a\(attempt)")
                metadata["labels"] = .object(labels)
                document["metadata"] = .object(metadata)
                return .object(document)
            }
            try JSONValue.array(documents).encoded().write(toFile: dir + "/all.json", atomically: true, encoding: .utf8)
            let log = "/tmp/atl-kill-\(getpid())-\(attempt).log"
            defer { unlink(log) }
            let client = TestProcesses.spawn(
                [CLITests.binary, "apply", "-f", dir, "--manager", url],
                stdout: log,
                stderr: log
            )
            usleep(UInt32(attempt * 70_000))  // 0 to 210 ms: before, during and after the write
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid)
            _ = Spawn.wait(client)

            // All or nothing: every document carries this attempt's label, or none does.
            var labelled = 0
            var total = 0
            for kind in Kind.allCases {
                for name in (try? await h.zk.children(h.tree.desired(kind))) ?? [] {
                    let (data, _) = try await h.zk.getData(h.tree.desired(DocumentKey(kind: kind, name: name)))
                    total += 1
                    if String(decoding: data, as: UTF8.self).contains("\"a\(attempt)\"") { labelled += 1 }
                }
            }
            #expect(labelled == 0 || labelled == total, "attempt \(attempt): \(labelled) of \(total) written")
            outcomes.insert(labelled == 0 ? "none" : "all")

            // The retry, through another manager, converges on the same documents.
            let (other, otherURL) = try ManagerProcesses.start(
                binary: CLITests.binary,
                zooKeeper: Harness.hosts,
                root: root
            )
            let retry = Spawn.run3([CLITests.binary, "apply", "-f", dir, "--manager", otherURL])
            #expect(retry.status == 0, "\(retry.stderr)")
            let again = Spawn.run3([CLITests.binary, "diff", "-f", dir, "--manager", otherURL])
            #expect(again.status == 0, "attempt \(attempt): \(again.stdout)")
            kill(other, SIGTERM)
            _ = Spawn.wait(other)
        }
        #expect(outcomes.contains("all"), "no attempt let the write land: \(outcomes)")
    }
}
