import Spawn
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Loopback helpers shared by the router test targets.
public enum Loopback {
    /// A TCP port on 127.0.0.1 that was free a moment ago, never the same twice in one process.
    /// Taken from below the kernel's ephemeral range (32768 on): a port the kernel picks for
    /// `bind(0)` can be taken, before the test binds it, by an outgoing connection's local end (a
    /// test's ZooKeeper sessions make many), and two picks in a row can be one port. Above the
    /// fixed ranges tests give supervisors (23000-24999).
    public static func freePort() -> Int {
        while true {
            let port = Int.random(in: 26_000..<32_000)
            guard handedOut.withLock({ $0.insert(port).inserted }), canBind(port) else { continue }
            return port
        }
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// Whether `port` on 127.0.0.1 can be bound now.
    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// `curl -s` for one URL: status code and body.
    public static func curl(_ url: String, host: String? = nil, extra: [String] = []) -> (status: Int, body: [UInt8]) {
        let out = "/tmp/atl-curl-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(out) }
        var args = ["curl", "-s", "-o", out, "-w", "%{http_code}", "--max-time", "30"] + extra
        if let host { args += ["-H", "Host: \(host)"] }
        let code = Spawn.run3(args + [url]).stdout
        return (Int(code.suffix(3)) ?? 0, Spawn.readBytes(out))
    }

    public struct BackendNotReady: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "test backend \(name) did not start" }
    }

    /// Starts `Tests/Fixtures/backend/backend.py` as `name` and waits until it answers.
    public static func startBackend(_ name: String, repoRoot: String) throws -> (pid: Int32, port: Int) {
        let port = freePort()
        let pid = TestProcesses.spawn(["python3", repoRoot + "/Tests/Fixtures/backend/backend.py", "\(port)", name])
        for _ in 0..<400 {
            if curl("http://127.0.0.1:\(port)/ping").status == 200 { return (pid, port) }
            usleep(50_000)
        }
        Spawn.kill(pid)
        throw BackendNotReady(name: name)
    }
}
