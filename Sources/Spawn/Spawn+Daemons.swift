#if canImport(Glibc)
import Glibc
#endif

/// Daemons (the `atlantis dev` agents): started in their own session, they outlive the caller.
extension Spawn {
    /// Starts `argv` detached, output appended to `log`; returns its pid (-1 on failure). A thread
    /// reaps it if it ends while this process still runs; once this process exits, init does.
    public static func daemon(_ argv: [String], log: String) -> Int32 {
        let pid = start(argv, stdin: .null, stdout: .file(log, append: true), stderr: .sameAsStdout, newSession: true)
        if pid > 0 { reapInBackground(pid) }
        return pid
    }

    public static func alive(_ pid: Int32) -> Bool { pid > 0 && Glibc.kill(pid, 0) == 0 }

    /// True when `pid` is gone or has exited and waits to be reaped.
    public static func isZombie(_ pid: Int32) -> Bool {
        let stat = read("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")"), stat.distance(from: close, to: stat.endIndex) > 2 else {
            return true
        }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once it is gone.
    public static func stop(_ pid: Int32, grace: Duration = .seconds(15)) async {
        guard alive(pid) else { return }
        Glibc.kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while running(pid) && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if running(pid) { Glibc.kill(pid, SIGKILL) }
        while running(pid) { try? await Task.sleep(for: .milliseconds(20)) }
    }

    private static func running(_ pid: Int32) -> Bool { alive(pid) && !isZombie(pid) }

    /// The running binary's own path.
    public static var selfPath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
