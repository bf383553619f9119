import Foundation
import Spawn
#if canImport(Glibc)
import Glibc
#endif

/// Starting programs for `atlantis dev`: scripts run in the foreground (their progress on this
/// terminal), agents as daemons in their own session (they outlive this command).
enum Processes {
    /// Runs `argv` with this terminal's output; returns its exit status.
    @discardableResult
    static func run(_ argv: [String], environment: [String: String] = [:]) -> Int32 {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        return Spawn.wait(Spawn.start(argv, environment: env))
    }

    /// Starts `argv` detached, output appended to `log`; returns its pid (-1 on failure).
    static func daemon(_ argv: [String], log: String) -> Int32 {
        let pid = Spawn.start(argv, stdin: .null, stdout: .file(log, append: true), stderr: .sameAsStdout, newSession: true)
        if pid > 0 {
            // Reap it if it ends while we still run; once we exit, init does.
            Thread.detachNewThread { Spawn.wait(pid) }
        }
        return pid
    }

    static func alive(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) == 0 }

    /// SIGTERM, then SIGKILL after `grace`; returns once it is gone.
    static func stop(_ pid: Int32, grace: Duration = .seconds(15)) async {
        guard alive(pid) else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while alive(pid) && !isZombie(pid) && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if alive(pid) && !isZombie(pid) { kill(pid, SIGKILL) }
        while alive(pid) && !isZombie(pid) { try? await Task.sleep(for: .milliseconds(20)) }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    /// The running binary's own path.
    static var selfPath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
