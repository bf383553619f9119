import Foundation
import TestSupport
import Testing

/// A router out of file descriptors: more clients connect than it may open descriptors for. Its
/// listener stays readable while `accept` fails; the router must not spin on it (it sets the
/// listener aside for a moment, `EpollServerChannel`), and it serves again once clients leave.
@Suite("atlantis-router out of descriptors", .serialized)
struct RouterDescriptorLimitTests {
    /// User and system CPU ticks of process `pid` (`/proc/<pid>/stat` fields 14 and 15).
    static func cpuTicks(of pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After ")": state is field 3, so utime (14) and stime (15) are the 12th and 13th here.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// A blocking TCP connection to 127.0.0.1:`port` (it completes in the listener's backlog
    /// whether or not the router accepts it); -1 if it could not be made.
    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    @Test func aRouterOutOfDescriptorsDoesNotSpinAndServesAgainWhenClientsLeave() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (listen, admin) = (Loopback.freePort(), Loopback.freePort())
        let router = Process()
        router.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 64 descriptors: its own (loops, ZooKeeper, listeners, logs) take about half.
        router.arguments = [
            "-c", #"ulimit -n 64 && exec "$0" "$@""#, CLITests.routerBinary,
            "--listen", "127.0.0.1:\(listen)", "--admin", "127.0.0.1:\(admin)", "--state-dir", state,
            "--zk", Harness.hosts, "--root", CLITests.newRoot(), "--threads", "2",
        ]
        // Its output, for the failure messages.
        let log = state + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let output = { (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(2000)) } ?? "" }
        router.standardOutput = FileHandle(forWritingAtPath: log)
        router.standardError = FileHandle(forWritingAtPath: log)
        try router.run()
        defer {
            router.terminate()
            router.waitUntilExit()
        }
        let pid = router.processIdentifier
        let proxied = "http://127.0.0.1:\(listen)/"
        #expect(
            await eventually(.seconds(15)) { Loopback.curl(proxied, extra: ["--max-time", "2"]).status == 404 },
            "\(output())"
        )

        var clients: [Int32] = []
        for _ in 0..<100 {
            let fd = Self.connect(port: listen)
            if fd >= 0 { clients.append(fd) }
        }
        #expect(clients.count == 100, "every connection completes in the backlog")
        try await Task.sleep(for: .milliseconds(500))
        let before = try #require(Self.cpuTicks(of: pid), "the router is gone: \(output())")
        try await Task.sleep(for: .seconds(2))
        let after = try #require(Self.cpuTicks(of: pid), "the router is gone: \(output())")
        // A loop spinning on the readable listener would take ~200 ticks (a whole core for 2 s).
        #expect(after - before < 50, "\(after - before) CPU ticks in 2 s with the descriptors used up")

        for fd in clients { close(fd) }
        #expect(
            await eventually(.seconds(10)) { Loopback.curl(proxied, extra: ["--max-time", "2"]).status == 404 },
            "the router serves again once the clients are gone: \(output())"
        )
    }
}
