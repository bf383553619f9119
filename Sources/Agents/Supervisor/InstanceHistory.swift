import Reconciler
import Synchronization

/// What a supervisor remembers of each instance between reconciles: restarts (seeded from the
/// instance's status znode after a supervisor restart), crashes since it was last healthy (for
/// the restart backoff), and probe results.
final class InstanceHistory: Sendable {
    struct Entry: Sendable {
        var restarts = 0
        var crashesSinceHealthy = 0
        var notBefore: ContinuousClock.Instant?
        var lastError: String?
        var healthy = false
        var failedProbes = 0
        var startedAt: ContinuousClock.Instant?
        var seeded = false
        var drainingSince: ContinuousClock.Instant?
        /// Containers of the instance the Engine failed to remove (a removal stuck "in progress",
        /// a busy mount): set aside, not waited for; the replacement runs under another name.
        var stuck: [String: StuckContainer] = [:]
    }

    /// A container that could not be removed: its name stays taken until the Engine lets it go.
    struct StuckContainer: Sendable {
        var name: String
        var error: String
        var attempts: Int
        var retryAt: ContinuousClock.Instant
    }

    let backoff: Backoff
    private let entries = Mutex([String: Entry]())

    init(backoff: Backoff) {
        self.backoff = backoff
    }

    func entry(_ instance: String) -> Entry { entries.withLock { $0[instance] ?? Entry() } }

    /// Restores the restart count from the last status written (once per instance).
    func seed(_ instance: String, restarts: Int, lastError: String?) {
        entries.withLock { e in
            guard e[instance]?.seeded != true else { return }
            var entry = e[instance] ?? Entry()
            entry.restarts = max(entry.restarts, restarts)
            entry.lastError = entry.lastError ?? lastError
            entry.seeded = true
            e[instance] = entry
        }
    }

    func isSeeded(_ instance: String) -> Bool { entries.withLock { $0[instance]?.seeded == true } }

    /// The container stopped without being asked to: one more restart, and the next start
    /// waits longer each time it happens again before the instance was healthy.
    func crashed(_ instance: String, reason: String) {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            entry.restarts += 1
            entry.crashesSinceHealthy += 1
            entry.lastError = reason
            entry.healthy = false
            entry.failedProbes = 0
            entry.startedAt = nil
            // The first replacement is immediate; then base, 2·base, ... up to the cap.
            entry.notBefore =
                entry.crashesSinceHealthy > 1
                ? .now + backoff.delay(failures: entry.crashesSinceHealthy - 1) : nil
            e[instance] = entry
        }
    }

    /// Time left before the next start is allowed; nil when it may start now.
    func waitRemaining(_ instance: String) -> Duration? {
        entries.withLock { e in
            guard let notBefore = e[instance]?.notBefore else { return nil }
            let left = notBefore - .now
            return left > .zero ? left : nil
        }
    }

    func started(_ instance: String) {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            entry.startedAt = .now
            entry.healthy = false
            entry.failedProbes = 0
            e[instance] = entry
        }
    }

    func failed(_ instance: String, reason: String) {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            entry.lastError = reason
            e[instance] = entry
        }
    }

    /// A start that failed (the image, create, start): the next attempt waits base, 2·base, ... up
    /// to the cap, whatever wakes the instance meanwhile (the Engine's event for the half-made
    /// container removed, a resync). An Engine that has just come back is not hammered.
    func startFailed(_ instance: String, reason: String) {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            entry.lastError = reason
            entry.crashesSinceHealthy += 1
            entry.startedAt = nil
            entry.notBefore = .now + backoff.delay(failures: entry.crashesSinceHealthy)
            e[instance] = entry
        }
    }

    /// Records that `container` (named `name`) could not be removed; returns whether it is new
    /// (worth a warning). Its removal is tried again after a backoff of its own.
    @discardableResult
    func stuck(_ instance: String, container: String, name: String, error: String) -> Bool {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            let attempts = (entry.stuck[container]?.attempts ?? 0) + 1
            entry.stuck[container] = StuckContainer(
                name: name,
                error: error,
                attempts: attempts,
                retryAt: .now + Backoff(base: .seconds(2), cap: .seconds(60)).delay(failures: attempts)
            )
            entry.lastError =
                "container \(container.prefix(12)) cannot be removed (\(error)); it is left aside and the instance runs in a new container"
            e[instance] = entry
            return attempts == 1
        }
    }

    /// The stuck containers of `instance`, by id.
    func stuckContainers(_ instance: String) -> [String: StuckContainer] {
        entries.withLock { $0[instance]?.stuck ?? [:] }
    }

    /// Whether removing a stuck container should be tried now.
    func mayRetryRemoval(_ instance: String, container: String) -> Bool {
        entries.withLock { ($0[instance]?.stuck[container]).map { $0.retryAt <= .now } ?? true }
    }

    /// A stuck container is gone at last.
    func removed(_ instance: String, container: String) {
        entries.withLock { e in _ = e[instance]?.stuck.removeValue(forKey: container) }
    }

    /// Records a probe; returns whether the instance counts as healthy: at once after a
    /// success, and only after `threshold` failures in a row once it was healthy.
    func probed(_ instance: String, ok: Bool, error: String?, threshold: Int) -> Bool {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            if entry.startedAt == nil { entry.startedAt = .now }
            if ok {
                entry.healthy = true
                entry.failedProbes = 0
                entry.crashesSinceHealthy = 0
                entry.notBefore = nil
            } else {
                // A failure counts once the instance was healthy, or has been starting too long;
                // a probe refused while the app boots is not an error.
                let booting =
                    !entry.healthy && (entry.startedAt.map { ContinuousClock.now - $0 < .seconds(30) } ?? true)
                entry.failedProbes += 1
                if entry.failedProbes >= threshold { entry.healthy = false }
                if let error, !booting { entry.lastError = error }
            }
            e[instance] = entry
            return entry.healthy
        }
    }

    func draining(_ instance: String) {
        entries.withLock { e in
            var entry = e[instance] ?? Entry()
            entry.drainingSince = .now
            e[instance] = entry
        }
    }

    /// Time left to drain; nil when drained (or when draining began before a supervisor restart).
    func drainRemaining(_ instance: String, delay: Duration) -> Duration? {
        entries.withLock { e in
            guard let since = e[instance]?.drainingSince else { return nil }
            let left = since + delay - .now
            return left > .zero ? left : nil
        }
    }

    func forget(_ instance: String) {
        _ = entries.withLock { $0.removeValue(forKey: instance) }
    }
}
