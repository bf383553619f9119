#if canImport(Glibc)
import Glibc
#endif
import Spawn

/// Runs programs for the tests with posix_spawn and waitpid: Foundation's `Process.waitUntilExit`
/// was seen to hang forever on Linux when several tests start processes at once.
public enum Subprocess {
    /// Starts `argv` (argv[0] found in PATH) with stdin, stdout and stderr redirected to files
    /// (nil: /dev/null). Returns the pid.
    public static func spawn(_ argv: [String], stdin: String? = nil, stdout: String? = nil, stderr: String? = nil) -> Int32 {
        Spawn.start(
            argv, stdin: stdin.map { .file($0) } ?? .null, stdout: stdout.map { .file($0) } ?? .null,
            stderr: stderr == nil ? .null : (stderr == stdout ? .sameAsStdout : .file(stderr!)))
    }

    /// Waits for `pid` and returns its exit status (-1 if it did not exit normally).
    @discardableResult
    public static func wait(_ pid: Int32) -> Int32 { Spawn.wait(pid) }

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
