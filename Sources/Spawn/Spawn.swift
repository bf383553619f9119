#if canImport(Glibc)
import Glibc
#endif

/// The one way Atlantis runs a child process: posix_spawn and waitpid, for the `atlantis dev` daemons,
/// the supervisor's iptables calls and the tests (Foundation's `Process.waitUntilExit` was seen to hang
/// forever on Linux).
public enum Spawn {
    public enum Stream: Sendable {
        /// This process's own.
        case inherit
        /// /dev/null.
        case null
        /// A file, created if missing; appended to or truncated.
        case file(String, append: Bool = false)
        /// stderr only: wherever stdout goes.
        case sameAsStdout
    }

    /// Starts `argv` (argv[0] looked up in PATH) with default signal handling; returns its pid,
    /// -1 if it could not start. `newSession` detaches it (it outlives a terminal and its caller).
    public static func start(
        _ argv: [String],
        environment: [String: String]? = nil,
        stdin: Stream = .inherit,
        stdout: Stream = .inherit,
        stderr: Stream = .inherit,
        newSession: Bool = false
    ) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path, let append):
                let flags = fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
                posix_spawn_file_actions_addopen(&actions, fd, path, flags, 0o644)
            case .sameAsStdout: posix_spawn_file_actions_adddup2(&actions, 1, fd)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with default signal handling and nothing blocked (SIGTERM works on them).
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        // POSIX_SPAWN_SETSID (glibc, _GNU_SOURCE).
        if newSession { flags |= 0x80 }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            cArgs.forEach { free($0) }
            cEnv?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc =
            cEnv.map { env in posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, env) }
            ?? posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        return rc == 0 ? pid : -1
    }

    /// Waits for `pid`; its exit status, or -1 if it did not exit normally.
    @discardableResult
    public static func wait(_ pid: Int32) -> Int32 {
        guard pid > 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }
}
