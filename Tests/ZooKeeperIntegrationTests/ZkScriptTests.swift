import Foundation
import Spawn
import TestSupport
import Testing

/// `scripts/zk.sh` must not take a server it did not start for its own: a ZooKeeper started by
/// hand on the same port once made a whole CI run use (and then miss) the wrong server.
@Suite struct ZkScriptTests {
    static func run(_ arguments: String...) -> (status: Int32, output: String) { TestCluster.zkScript(arguments) }

    /// Stops the servers of `name` and removes their folder.
    static func remove(_ name: String) {
        _ = run("stop", name)
        try? FileManager.default.removeItem(at: TestCluster.repoRoot.appendingPathComponent("run/zk-\(name)"))
    }

    static func pidFile(_ name: String, _ id: Int) -> Bool {
        FileManager.default.fileExists(
            atPath: TestCluster.repoRoot.appendingPathComponent("run/zk-\(name)/\(id)/pid").path
        )
    }

    static func answers(_ port: Int) -> Bool {
        Spawn.run(["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"]).status == 0
    }

    @Test func aPortWhereAnotherZooKeeperServesIsRefused() throws {
        let port = Loopback.freePort()
        let owner = "owner-\(getpid())"
        let other = "other-\(getpid())"
        defer {
            Self.remove(owner)
            Self.remove(other)
        }
        try TestCluster.zk("standalone", owner, "\(port)")
        let (status, output) = Self.run("standalone", other, "\(port)")
        #expect(status == 1, "\(output)")
        #expect(output.contains("127.0.0.1:\(port) already answers"), "\(output)")
        #expect(!Self.pidFile(other, 1))
        // The owner's server is untouched.
        #expect(Self.run("status", owner).output.contains("standalone"))
    }

    @Test func anEnsembleWithOnePortTakenStartsNoServer() async throws {
        let port = Loopback.freePort()
        let name = "taken-\(getpid())"
        let log = "/tmp/atl-zk-squatter-\(getpid()).log"
        defer {
            Self.remove(name)
            unlink(log)
        }
        let squatter = TestProcesses.spawn(
            ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port + 2)", "--directory", "/tmp"],
            stdout: log,
            stderr: log
        )
        defer { Spawn.kill(squatter) }
        try #require(
            await eventually(.seconds(5)) { Self.answers(port + 2) },
            "the squatter on \(port + 2) never answered: \(Spawn.read(log))"
        )
        let (status, output) = Self.run("ensemble", name, "\(port)")
        #expect(status == 1, "\(output)")
        #expect(output.contains("127.0.0.1:\(port + 2) already answers"), "\(output)")
        for id in 1...3 { #expect(!Self.pidFile(name, id), "server \(id) was started") }
        #expect(!Self.answers(port))
        #expect(!Self.answers(port + 1))
    }
}
