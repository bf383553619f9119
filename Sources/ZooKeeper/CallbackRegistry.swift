import Synchronization

/// What a C completion or watcher hands back to Swift, copied out of the C buffers.
enum CallbackResult: Sendable {
    case void(rc: Int32)
    case stat(rc: Int32, stat: Stat?)
    case data(rc: Int32, data: [UInt8], stat: Stat?)
    case strings(rc: Int32, strings: [String])
    case stringsStat(rc: Int32, strings: [String], stat: Stat?)
    case string(rc: Int32, string: String?)

    var rc: Int32 {
        switch self {
        case .void(let rc), .stat(let rc, _), .data(let rc, _, _), .strings(let rc, _), .stringsStat(let rc, _, _),
            .string(let rc, _):
            return rc
        }
    }
}

/// A request in flight: resumed exactly once, either by its C completion or by a timeout.
/// Buffers the C library writes into at completion time are owned here and freed only after
/// the completion ran (never by the timeout).
final class PendingCall: Sendable {
    private let continuation: Mutex<CheckedContinuation<CallbackResult, any Error>?>
    /// Addresses of buffers to free (stored as integers: raw pointers are not `Sendable`).
    private let buffers: Mutex<[Int]>

    init(_ continuation: CheckedContinuation<CallbackResult, any Error>) {
        self.continuation = Mutex(continuation)
        self.buffers = Mutex([])
    }

    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 16)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Swift.max(byteCount, 1))
        let address = Int(bitPattern: p)
        buffers.withLock { $0.append(address) }
        return p
    }

    func finish(_ result: Result<CallbackResult, any Error>) {
        let c = continuation.withLock { c -> CheckedContinuation<CallbackResult, any Error>? in
            defer { c = nil }
            return c
        }
        c?.resume(with: result)
    }

    deinit {
        buffers.withLock { $0.forEach { UnsafeMutableRawPointer(bitPattern: $0)?.deallocate() } }
    }
}

/// A one-shot watch registered with the C library.
struct WatchRegistration: Sendable {
    let session: UInt64
    let fire: @Sendable (WatchEvent) -> Void
}

/// Ties the opaque `void *` contexts handed to the C library to Swift objects.
///
/// Contexts are plain integers, never retained pointers: a watch that never fires (its session
/// closed) leaks nothing, and a late callback for a forgotten id is ignored.
final class CallbackRegistry: Sendable {
    private struct State {
        var next: Int = 1
        var calls: [Int: PendingCall] = [:]
        var watches: [Int: WatchRegistration] = [:]
        var pathWatches: [Int: PathWatchRegistration] = [:]
        var sessions: [Int: @Sendable (_ type: Int32, _ state: Int32, _ sessionID: Int64) -> Void] = [:]
    }

    private let state = Mutex(State())

    static let shared = CallbackRegistry()

    /// A process-wide unique number for a client's session: watches are failed by it.
    func newSessionGeneration() -> UInt64 {
        state.withLock { s in
            s.next += 1
            return UInt64(s.next)
        }
    }

    /// Files something under a new id (`put` stores it in its table) and returns the id.
    private func register(_ put: (inout State, Int) -> Void) -> Int {
        state.withLock { s in
            let id = s.next
            s.next += 1
            put(&s, id)
            return id
        }
    }

    func add(_ call: PendingCall) -> Int {
        register { $0.calls[$1] = call }
    }

    func peekCall(_ id: Int) -> PendingCall? {
        state.withLock { $0.calls[id] }
    }

    func takeCall(_ id: Int) -> PendingCall? {
        state.withLock { $0.calls.removeValue(forKey: id) }
    }

    func add(_ watch: WatchRegistration) -> Int {
        register { $0.watches[$1] = watch }
    }

    func takeWatch(_ id: Int) -> WatchRegistration? {
        state.withLock { $0.watches.removeValue(forKey: id) }
    }

    func removeWatch(_ id: Int) {
        _ = takeWatch(id)
    }

    func add(_ watches: PathWatchRegistration) -> Int {
        register { $0.pathWatches[$1] = watches }
    }

    func pathWatches(_ id: Int) -> PathWatchRegistration? {
        state.withLock { $0.pathWatches[id] }
    }

    func removePathWatches(_ id: Int) {
        _ = state.withLock { $0.pathWatches.removeValue(forKey: id) }
    }

    /// Registrations whose callbacks can still run: one per one-shot watch, one per `PathWatches`.
    var watchCount: Int { state.withLock { $0.watches.count + $0.pathWatches.count } }

    /// Fires `.sessionLost` on every watch of the given session and forgets them; each
    /// `PathWatches` that armed watches in it hears it once, with no path.
    func failWatches(session: UInt64) {
        let (lost, sets) = state.withLock { s -> ([WatchRegistration], [PathWatchRegistration]) in
            let ids = s.watches.filter { $0.value.session == session }.map(\.key)
            return (ids.compactMap { s.watches.removeValue(forKey: $0) }, Array(s.pathWatches.values))
        }
        for w in lost { w.fire(.sessionLost) }
        for set in sets where set.endSession(session) { set.fire(nil, .sessionLost) }
    }

    func addSessionHandler(_ handler: @escaping @Sendable (Int32, Int32, Int64) -> Void) -> Int {
        register { $0.sessions[$1] = handler }
    }

    func sessionHandler(_ id: Int) -> (@Sendable (Int32, Int32, Int64) -> Void)? {
        state.withLock { $0.sessions[id] }
    }

    func removeSessionHandler(_ id: Int) {
        _ = state.withLock { $0.sessions.removeValue(forKey: id) }
    }

}

func context(_ id: Int) -> UnsafeMutableRawPointer? {
    UnsafeMutableRawPointer(bitPattern: id)
}

func contextID(_ pointer: UnsafeRawPointer?) -> Int {
    Int(bitPattern: pointer)
}
