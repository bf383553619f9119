#if canImport(Glibc)
import Glibc
#endif

/// Runs programs for the tests with posix_spawn and waitpid: Foundation's `Process.waitUntilExit`
/// was seen to hang forever on Linux when several tests start processes at once.
public enum Subprocess {
    /// Starts `argv` (argv[0] found in PATH) with stdin, stdout and stderr redirected to files
    /// (nil: /dev/null). Returns the pid.
    public static func spawn(_ argv: [String], stdin: String? = nil, stdout: String? = nil, stderr: String? = nil) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let stderr, stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        return rc == 0 ? pid : -1
    }

    /// Waits for `pid` and returns its exit status (-1 if it did not exit normally).
    @discardableResult
    public static func wait(_ pid: Int32) -> Int32 {
        guard pid > 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        let exited = (status & 0x7f) == 0
        return exited ? (status >> 8) & 0xff : -1
    }

    /// Runs `argv` to completion; returns its exit status and what it printed (stdout and stderr).
    public static func run(_ argv: [String], stdin: String? = nil) -> (status: Int32, output: String) {
        let out = "/tmp/atl-sub-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(out) }
        let status = wait(spawn(argv, stdin: stdin, stdout: out, stderr: out))
        return (status, read(out))
    }

    /// Runs `argv`; its stdout and stderr separately.
    public static func run3(_ argv: [String], stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let base = "/tmp/atl-sub-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let status = wait(spawn(argv, stdin: stdin, stdout: base + ".out", stderr: base + ".err"))
        return (status, read(base + ".out"), read(base + ".err"))
    }

    public static func read(_ path: String) -> String {
        String(decoding: readBytes(path), as: UTF8.self)
    }

    public static func readBytes(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }

    public static func kill(_ pid: Int32) {
        guard pid > 0 else { return }
        Glibc.kill(pid, SIGKILL)
        wait(pid)
    }
}
