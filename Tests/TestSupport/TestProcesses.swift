import Spawn

#if canImport(Glibc)
import Glibc
#endif

/// Processes the tests start and may leave behind if a test process dies: each pid (with its
/// program) is appended to `$ATLANTIS_TEST_PIDS`, and `scripts/test.sh` ends exactly those that
/// still run that program when the run stops, rather than every process matching a name.
public enum TestProcesses {
    /// As `Spawn.spawn`, recording the pid.
    public static func spawn(
        _ argv: [String],
        stdin: String? = nil,
        stdout: String? = nil,
        stderr: String? = nil
    ) -> Int32 {
        let pid = Spawn.spawn(argv, stdin: stdin, stdout: stdout, stderr: stderr)
        if pid > 0, let log = getenv("ATLANTIS_TEST_PIDS").map({ String(cString: $0) }), let file = fopen(log, "a") {
            fputs("\(pid) \(argv[0])\n", file)
            fclose(file)
        }
        return pid
    }
}
