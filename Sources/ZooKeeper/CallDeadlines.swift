import Dispatch
import Synchronization

/// Fails calls that got no answer in time. One sweep for the process, every `tick` while any
/// call is pending, instead of a sleeping task per call: a task and its timer lived for the whole
/// timeout (15 s by default) after the answer came, so a router loading 50,000 reports held
/// 60,000 of them (about 30 MiB).
///
/// The tick is a second: a call that started while none was pending arms the sweep (a dispatch
/// timer, armed and fired on dispatch's own threads), and at 100 ms an agent answering 10
/// changes a second armed and fired one per change — ~4 of a router's ~29 thread switches per
/// change. A timeout fails up to a tick late (15–16 s by default); the C client fails calls on
/// a lost connection itself, this is the net under that.
final class CallDeadlines: Sendable {
    static let shared = CallDeadlines()

    private struct Pending {
        var deadline: ContinuousClock.Instant
        var call: PendingCall
        var path: String?
        /// The C handle the call was handed to.
        var handle: ObjectIdentifier?
    }

    private struct State {
        var pending: [Int: Pending] = [:]
        var sweepScheduled = false
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "atlantis.zookeeper.deadlines")
    /// How late past its deadline a call may be failed.
    let tick: Duration

    init(tick: Duration = .seconds(1)) {
        self.tick = tick
    }

    /// Fails call `id` with `operationTimeout` when `timeout` passes before `remove(id)`.
    func add(_ id: Int, call: PendingCall, path: String?, timeout: Duration, handle: ObjectIdentifier? = nil) {
        let schedule = state.withLock { s -> Bool in
            s.pending[id] = Pending(deadline: .now + timeout, call: call, path: path, handle: handle)
            defer { s.sweepScheduled = true }
            return !s.sweepScheduled
        }
        if schedule { scheduleSweep() }
    }

    /// The call was answered (or failed otherwise).
    func remove(_ id: Int) {
        state.withLock { _ = $0.pending.removeValue(forKey: id) }
    }

    var count: Int { state.withLock { $0.pending.count } }

    /// Fails at once every call still pending on `handle`, which was closed: no answer to them
    /// will come (they would otherwise wait out their timeout).
    func fail(handle: ObjectIdentifier, code: ZooKeeperError.Code) {
        let orphaned = state.withLock { s -> [(Int, Pending)] in
            let orphaned = s.pending.filter { $0.value.handle == handle }
            for (id, _) in orphaned { s.pending[id] = nil }
            return Array(orphaned)
        }
        for (id, pending) in orphaned {
            _ = CallbackRegistry.shared.takeCall(id)
            pending.call.finish(.failure(ZooKeeperError(code: code, path: pending.path)))
        }
    }

    private func scheduleSweep() {
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(tick.milliseconds))) { self.sweep() }
    }

    private func sweep() {
        let now = ContinuousClock.now
        let (expired, again) = state.withLock { s -> ([Pending], Bool) in
            var expired: [Pending] = []
            for (id, pending) in s.pending where pending.deadline <= now {
                expired.append(pending)
                s.pending[id] = nil
            }
            s.sweepScheduled = !s.pending.isEmpty
            return (expired, s.sweepScheduled)
        }
        for pending in expired {
            pending.call.finish(.failure(ZooKeeperError(code: .operationTimeout, path: pending.path)))
        }
        if again { scheduleSweep() }
    }
}
