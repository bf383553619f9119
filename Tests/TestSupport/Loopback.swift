import Spawn

#if canImport(Glibc)
import Glibc
#endif

/// Loopback helpers shared by the router test targets.
public enum Loopback {
    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                _ = bind(fd, p, length)
                return getsockname(fd, p, &length)
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
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
