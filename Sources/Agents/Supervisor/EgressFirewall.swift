import Foundation
import Spawn
import Synchronization

/// Applies `EgressRules` inside a container's network namespace with the host's own iptables
/// (`nsenter -t PID -n`): the image needs no iptables and no extra capability.
/// Remembers what it applied per container, and re-reads the real rules after `verifyEvery`.
final class EgressFirewall: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let output: String
        var description: String { "\(command) failed: \(output)" }
    }

    let verifyEvery: Duration
    private let applied = Mutex([String: (rules: EgressRules, at: ContinuousClock.Instant)]())

    init(verifyEvery: Duration = .seconds(60)) {
        self.verifyEvery = verifyEvery
    }

    /// Makes the container's rules exactly `rules`. Returns true when it had to change them.
    @discardableResult
    func ensure(_ rules: EgressRules, container: String, pid: Int) async throws -> Bool {
        let known = applied.withLock { $0[container] }
        if let known, known.rules == rules, known.at + verifyEvery > .now { return false }
        let current = try await run(pid: pid, ["iptables", "-w", "5", "-S"])
        if rules.matches(listing: current) {
            applied.withLock { $0[container] = (rules, .now) }
            return false
        }
        _ = try await run(pid: pid, ["iptables-restore", "-w", "5"], input: rules.restoreInput)
        applied.withLock { $0[container] = (rules, .now) }
        return true
    }

    func forget(container: String) {
        _ = applied.withLock { $0.removeValue(forKey: container) }
    }

    private func run(pid: Int, _ command: [String], input: String? = nil) async throws -> String {
        let arguments = ["-t", "\(pid)", "-n"] + command
        let result = await Spawn.output(["nsenter"] + arguments, input: input)
        guard result.status == 0 else {
            throw Failure(
                command: "nsenter \(arguments.joined(separator: " "))",
                output: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        return result.stdout
    }
}
