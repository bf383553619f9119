import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting programs for `atlantis dev`: scripts run in the foreground (their progress on this
/// terminal), agents as daemons in their own session (they outlive this command). posix_spawn
/// and waitpid: Foundation's `Process.waitUntilExit` was seen to hang on Linux.
enum Processes {
    /// Runs `argv` with this terminal's output; returns its exit status.
    @discardableResult
    static func run(_ argv: [String], environment: [String: String] = [:]) -> Int32 {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        let pid = spawn(argv, environment: env, log: nil, detach: false)
        guard pid > 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// Starts `argv` detached, output appended to `log`; returns its pid (-1 on failure).
    static func daemon(_ argv: [String], log: String) -> Int32 {
        spawn(argv, environment: ProcessInfo.processInfo.environment, log: log, detach: true)
    }

    private static func spawn(_ argv: [String], environment: [String: String], log: String?, detach: Bool) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let log {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        // POSIX_SPAWN_SETSID (glibc, _GNU_SOURCE): the daemon gets its own session.
        if detach { flags |= 0x80 }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        if rc == 0 && detach {
            // Reap it if it ends while we still run; once we exit, init does.
            let pid = pid
            Thread.detachNewThread {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        return rc == 0 ? pid : -1
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
