import Foundation
import Spawn
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `atlantis manager` processes for the CLI tests: one per ZooKeeper root, started on first use
/// on a free loopback port and left running for the rest of the test process (its pid is
/// recorded, so `scripts/test.sh` ends it).
public enum ManagerProcesses {
    public struct NotReady: Error, CustomStringConvertible {
        public let description: String
    }

    private static let running = Mutex<[String: String]>([:])

    /// The URL of a manager serving `root` (started if none is).
    public static func url(binary: String, zooKeeper: String, root: String) throws -> String {
        if let url = running.withLock({ $0[root] }) { return url }
        let (pid, url) = try start(binary: binary, zooKeeper: zooKeeper, root: root)
        _ = pid
        running.withLock { $0[root] = url }
        return url
    }

    /// Starts a manager of its own (a test that kills it); waits until it answers /healthz.
    public static func start(
        binary: String,
        zooKeeper: String,
        root: String,
        extra: [String] = []
    ) throws -> (
        pid: Int32, url: String
    ) {
        let port = Loopback.freePort()
        let log = "/tmp/atl-manager-\(getpid())-\(port).log"
        let pid = TestProcesses.spawn(
            [binary, "manager", "--listen", "127.0.0.1:\(port)", "--zk", zooKeeper, "--root", root, "--quiet"] + extra,
            stdout: log,
            stderr: log
        )
        let url = "http://127.0.0.1:\(port)"
        for _ in 0..<200 {
            if Loopback.curl(url + "/healthz", extra: ["--max-time", "1"]).status == 200 { return (pid, url) }
            if !Spawn.alive(pid) || Spawn.isZombie(pid) { break }
            usleep(50_000)
        }
        throw NotReady(description: "the manager for \(root) did not answer: \(Spawn.read(log))")
    }
}
