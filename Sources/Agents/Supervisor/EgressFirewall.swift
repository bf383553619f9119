import Foundation
import Spawn
import Synchronization

/// Applies `EgressRules` inside a container's network namespace with the host's own iptables
/// (`nsenter -t PID -n`): the image needs no iptables and no extra capability.
/// Remembers what it applied per container start (a restarted container has a new namespace),
/// and re-reads the real rules after `verifyEvery`: rules flushed or changed by anyone else are
/// restored at the instance's next pass after that (a flushed chain lets everything out).
final class EgressFirewall: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let output: String
        var description: String { "\(command) failed: \(output)" }
    }

    let verifyEvery: Duration
    let nsenter: String
    private let applied = Mutex([String: (rules: EgressRules, start: String, at: ContinuousClock.Instant)]())

    init(verifyEvery: Duration = .seconds(5), nsenter: String = "nsenter") {
        self.verifyEvery = verifyEvery
        self.nsenter = nsenter
    }

    /// Makes the rules of the container's current start (`pid`, `startedAt`) exactly `rules`.
    /// Returns true when it wrote them.
    @discardableResult
    func ensure(_ rules: EgressRules, container: String, pid: Int, startedAt: String) async throws -> Bool {
        let start = "\(pid)@\(startedAt)"
        let known = applied.withLock { $0[container] }
        if let known, known.rules == rules, known.start == start, known.at + verifyEvery > .now { return false }
        // A start this firewall has not applied rules to (a new container, or one adopted after a
        // restart) gets them at once, without reading first: the restore replaces the whole
        // table, so it is the same whatever was there. That saves a process on a deploy's path.
        if known?.start == start {
            let current = try await run(pid: pid, ["iptables", "-w", "5", "-S"])
            if rules.matches(listing: current) {
                applied.withLock { $0[container] = (rules, start, .now) }
                return false
            }
        }
        // Restored and read back in one process.
        let after = try await run(
            pid: pid,
            ["sh", "-c", "iptables-restore -w 5 && iptables -w 5 -S"],
            input: rules.restoreInput
        )
        guard rules.matches(listing: after) else {
            throw Failure(command: "iptables-restore in \(container.prefix(12))", output: "the rules read back differ")
        }
        applied.withLock { $0[container] = (rules, start, .now) }
        return true
    }

    func forget(container: String) {
        _ = applied.withLock { $0.removeValue(forKey: container) }
    }

    private func run(pid: Int, _ command: [String], input: String? = nil) async throws -> String {
        let arguments = ["-t", "\(pid)", "-n"] + command
        let result = await Spawn.output([nsenter] + arguments, input: input)
        guard result.status == 0 else {
            throw Failure(
                command: "\(nsenter) \(arguments.joined(separator: " "))",
                output: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        return result.stdout
    }
}
