#if canImport(Glibc)
import Glibc
#endif

/// Running a program to completion and reading what it printed (through files, so a chatty child
/// never blocks on a full pipe).
extension Spawn {
    /// How a program ended and what it printed.
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `argv` with stdin, stdout and stderr redirected to files (nil: /dev/null; stderr equal to
    /// stdout: the same file). Returns the pid.
    public static func spawn(
        _ argv: [String],
        stdin: String? = nil,
        stdout: String? = nil,
        stderr: String? = nil
    ) -> Int32 {
        let err: Stream
        if let stderr { err = stderr == stdout ? .sameAsStdout : .file(stderr) } else { err = .null }
        return start(
            argv,
            stdin: stdin.map { .file($0) } ?? .null,
            stdout: stdout.map { .file($0) } ?? .null,
            stderr: err
        )
    }

    /// Runs `argv` to completion (blocking this thread); its exit status and its stdout and stderr
    /// interleaved.
    @discardableResult
    public static func run(_ argv: [String], stdin: String? = nil) -> (status: Int32, output: String) {
        let out = temporaryPath()
        defer { unlink(out) }
        let status = wait(spawn(argv, stdin: stdin, stdout: out, stderr: out))
        return (status, read(out))
    }

    /// Runs `argv` to completion (blocking this thread); stdout and stderr apart.
    public static func run3(_ argv: [String], stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let outcome = runCapturing(argv, stdinPath: stdin)
        return (outcome.status, outcome.stdout, outcome.stderr)
    }

    /// Runs `argv` with `input` on its stdin, off the caller's thread: the wait happens on a thread
    /// of its own, never on Swift's cooperative pool.
    public static func output(_ argv: [String], input: String? = nil) async -> Outcome {
        await withCheckedContinuation { continuation in
            let thread = BlockingThread {
                var inputPath: String?
                if let input {
                    let path = temporaryPath()
                    write(input, to: path)
                    inputPath = path
                }
                defer { inputPath.map { _ = unlink($0) } }
                continuation.resume(returning: runCapturing(argv, stdinPath: inputPath))
            }
            thread.start()
        }
    }

    /// SIGKILL, then reap.
    public static func kill(_ pid: Int32) {
        guard pid > 0 else { return }
        Glibc.kill(pid, SIGKILL)
        wait(pid)
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

    private static func runCapturing(_ argv: [String], stdinPath: String?) -> Outcome {
        let base = temporaryPath()
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let status = wait(spawn(argv, stdin: stdinPath, stdout: base + ".out", stderr: base + ".err"))
        return Outcome(status: status, stdout: read(base + ".out"), stderr: read(base + ".err"))
    }

    private static func write(_ text: String, to path: String) {
        guard let file = fopen(path, "wb") else { return }
        defer { fclose(file) }
        var bytes = Array(text.utf8)
        _ = fwrite(&bytes, 1, bytes.count, file)
    }

    static func temporaryPath() -> String {
        "/tmp/atl-spawn-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    }

    /// Reaps `pid` on a thread of its own whenever it ends.
    static func reapInBackground(_ pid: Int32) {
        BlockingThread { wait(pid) }.start()
    }
}
