import Foundation
import Spawn
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real slapd started by `scripts/ldap.sh` for one test suite, on its own port and folder,
/// loaded with examples/ldap/directory.ldif (alice and bob in storefront, carol in payments,
/// dave in no team, ada a platform admin; passwords `<name>-pw`).
public struct TestDirectory: Sendable {
    public let name: String
    public let port: Int

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var uri: String { "ldap://127.0.0.1:\(port)" }
    public var folder: String { Repository.path("run/ldap-\(name)") }
    /// The manager's directory configuration (`atlantis manager --ldap-config`).
    public var configuration: String { folder + "/directory.json" }

    static func script(_ arguments: [String], tls: Bool = false) -> (status: Int32, output: String) {
        Spawn.run(
            ["/usr/bin/env", "LDAP_TLS=\(tls ? 1 : 0)", "/bin/bash", Repository.path("scripts/ldap.sh")] + arguments
        )
    }

    /// The CA that signed the server's certificate (a server started with `tls`).
    public var certificateAuthority: String { folder + "/tls/ca.pem" }

    /// The server `name` on `port`, started once per test process (scripts/test.sh stops it).
    /// Tests that change it must leave it as they found it, or `start` it afresh.
    public static func shared(name: String, port: Int, tls: Bool = false) throws -> TestDirectory {
        try sharedServers.withLock { servers in
            if let server = servers[name], server.answers { return server }
            let server = try start(name: name, port: port, tls: tls)
            servers[name] = server
            return server
        }
    }

    static let sharedServers = Mutex<[String: TestDirectory]>([:])

    /// Whether the server answers a search of the root DSE.
    public var answers: Bool {
        Spawn.run(["timeout", "2", "ldapsearch", "-x", "-H", uri, "-b", "", "-s", "base", "namingContexts"]).status == 0
    }

    /// Starts (or restarts, with fresh data) the server `name` on `port`.
    public static func start(name: String, port: Int, tls: Bool = false) throws -> TestDirectory {
        let result = script(["start", name, String(port)], tls: tls)
        guard result.status == 0 else { throw Failure(description: "ldap.sh start failed: \(result.output)") }
        return TestDirectory(name: name, port: port)
    }

    public func stop() {
        _ = Self.script(["stop", name])
    }

    public var pid: Int32 {
        Int32(Spawn.read(folder + "/slapd.pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// SIGSTOP / SIGCONT / SIGKILL, as a hung or crashed server.
    public func signal(_ signal: Int32) {
        let pid = self.pid
        if pid > 0 { _ = Glibc.kill(pid, signal) }
    }

    /// Starts the server again on its data (after a kill), waiting until it answers.
    public func restart() async throws {
        let pid = self.pid
        if pid > 0 {
            _ = Glibc.kill(pid, SIGCONT)
            _ = Glibc.kill(pid, SIGKILL)
            for _ in 0..<50 where Glibc.kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        let started = Spawn.run(["/usr/sbin/slapd", "-F", folder + "/slapd.d", "-h", "\(uri)/"])
        guard started.status == 0 else { throw Failure(description: "slapd did not start: \(started.output)") }
        for _ in 0..<100 {
            let probe = Spawn.run(["ldapsearch", "-x", "-H", uri, "-b", "", "-s", "base", "namingContexts"])
            if probe.status == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "slapd on \(uri) did not answer after a restart")
    }

    /// Changes the directory as its administrator would, with `ldapmodify` (LDIF with changetype).
    public func modify(_ ldif: String) throws {
        let file = folder + "/change-\(UUID().uuidString).ldif"
        try ldif.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = Spawn.run([
            "ldapmodify", "-x", "-H", uri, "-D", "cn=admin,dc=example,dc=org", "-y", folder + "/admin.secret", "-f",
            file,
        ])
        guard result.status == 0 else { throw Failure(description: "ldapmodify failed: \(result.output)") }
    }
}
