internal import CZooKeeper
import Dispatch
public import Logging
import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// An async/await client for one ZooKeeper ensemble, over the C library `libzookeeper_mt`.
///
/// The C library runs its own I/O and completion threads; every call here is submitted without
/// blocking and resumed from a completion. The session is renewed by itself after expiry, and
/// `sessionEvents()` tells users so they re-read and re-watch.
public final class ZooKeeperClient: Sendable {
    /// A C handle, with how many requests are being handed to it right now: it is closed only
    /// once it is out of `State` (no new request takes it) and none is (`waitIdle`). The state's
    /// lock is not held while a request is handed over (the C call wakes the client's I/O
    /// thread): with it held, concurrent requests queued on it, ~6 % of a router's CPU while it
    /// read 60,000 nodes.
    final class Handle: @unchecked Sendable {
        let raw: OpaquePointer
        let users = Atomic<Int>(0)

        init(raw: OpaquePointer) {
            self.raw = raw
        }

        /// Blocks until no request is being handed to the handle (off Swift concurrency's threads).
        func waitIdle() {
            while users.load(ordering: .acquiring) > 0 { usleep(50) }
        }
    }

    struct State {
        var handle: Handle?
        var handlerID: Int = 0
        var generation: UInt64 = 0
        var connected = false
        var everConnected = false
        var sessionID: Int64 = 0
        /// A session that connected before `openHandle` stored its handle: announced once it has.
        var connectedBeforeHandle: Int64?
        var closed = false
        var fatal: ZooKeeperError?
        var nextWaiter = 0
        var connectWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var subscribers: [Int: AsyncStream<SessionEvent>.Continuation] = [:]
    }

    public let configuration: ZooKeeperConfiguration
    let logger: Logger
    let state = Mutex(State())
    /// Blocking C calls (`zookeeper_init`, `zookeeper_close`) run here, never on a Swift concurrency thread.
    /// Concurrent: closing one session (which may wait on the server) must not hold up another.
    static let blockingQueue = DispatchQueue(label: "atlantis.zookeeper.blocking", attributes: .concurrent)
    /// Fault injection for tests: microseconds between a new handle's creation and its being
    /// stored (the window in which its session may already report itself connected).
    static let handleStoreDelayForTesting = Atomic<Int>(0)

    private init(configuration: ZooKeeperConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens a session, waiting up to `connectTimeout` for it.
    public static func connect(
        _ configuration: ZooKeeperConfiguration,
        logger: Logger = Logger(label: "atlantis.zookeeper")
    ) async throws -> ZooKeeperClient {
        ZooKeeperCLog.setUp()
        let client = ZooKeeperClient(configuration: configuration, logger: logger)
        await client.onBlockingQueue { client.openHandle() }
        do {
            try await client.waitConnected(timeout: configuration.connectTimeout)
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// The current session's id, or 0 while there is none.
    public var sessionID: Int64 { state.withLock { $0.connected ? $0.sessionID : 0 } }

    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Every session event from now on, until the client is closed.
    public func sessionEvents() -> AsyncStream<SessionEvent> {
        let (stream, continuation) = AsyncStream<SessionEvent>.makeStream(bufferingPolicy: .unbounded)
        let id = state.withLock { s -> Int? in
            guard !s.closed else { return nil }
            let id = s.nextWaiter
            s.nextWaiter += 1
            s.subscribers[id] = continuation
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            }
        } else {
            continuation.finish()
        }
        return stream
    }

    /// Waits until a session is connected.
    public func waitConnected(timeout: Duration) async throws {
        let id = state.withLock { s -> Int in
            let id = s.nextWaiter
            s.nextWaiter += 1
            return id
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.resumeWaiter(id, with: .failure(ZooKeeperError(code: .operationTimeout)))
        }
        defer { timer.cancel() }
        // A cancelled wait ends at once (a process stopped while ZooKeeper is unreachable), even
        // when the cancel comes before the waiter is registered.
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = state.withLock { s in
                    if s.closed { return .failure(ZooKeeperError(code: .closing)) }
                    if let fatal = s.fatal { return .failure(fatal) }
                    if s.connected { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.connectWaiters[id] = c
                    return nil
                }
                if let immediate { c.resume(with: immediate) }
            }
        } onCancel: {
            resumeWaiter(id, with: .failure(CancellationError()))
        }
    }

    private func resumeWaiter(_ id: Int, with result: Result<Void, any Error>) {
        let c = state.withLock { $0.connectWaiters.removeValue(forKey: id) }
        c?.resume(with: result)
    }

    /// Closes the session: its ephemeral nodes vanish, its watches end with `.sessionLost`.
    public func close() async {
        let (handle, handlerID, generation, waiters, subscribers) = state.withLock { s in
            s.closed = true
            s.connected = false
            defer {
                s.handle = nil
                s.connectWaiters = [:]
                s.subscribers = [:]
            }
            return (s.handle, s.handlerID, s.generation, s.connectWaiters, s.subscribers)
        }
        CallbackRegistry.shared.failWatches(session: generation)
        for w in waiters.values { w.resume(throwing: ZooKeeperError(code: .closing)) }
        for s in subscribers.values {
            s.yield(.closed)
            s.finish()
        }
        if let handle {
            await onBlockingQueue {
                handle.waitIdle()
                _ = zookeeper_close(handle.raw)
                CallDeadlines.shared.fail(handle: ObjectIdentifier(handle), code: .closing)
            }
        }
        CallbackRegistry.shared.removeSessionHandler(handlerID)
    }

    func onBlockingQueue(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Self.blockingQueue.async {
                body()
                c.resume()
            }
        }
    }

    // MARK: Session handling

    /// Runs on the blocking queue.
    private func openHandle() {
        let next = CallbackRegistry.shared.newSessionGeneration()
        let generation = state.withLock { s -> UInt64? in
            guard !s.closed else { return nil }
            s.generation = next
            return next
        }
        guard let generation else { return }
        let handlerID = CallbackRegistry.shared.addSessionHandler { [weak self] type, st, sessionID in
            self?.onSessionEvent(generation: generation, type: type, state: st, sessionID: sessionID)
        }
        let timeoutMs = Int32(clamping: configuration.sessionTimeout.milliseconds)
        guard
            let raw = zookeeper_init2(
                configuration.connectionString,
                sessionWatcher,
                timeoutMs,
                nil,
                context(handlerID),
                0,
                ZooKeeperCLog.callback
            )
        else {
            CallbackRegistry.shared.removeSessionHandler(handlerID)
            logger.error("zookeeper.init_failed", metadata: ["zk.hosts": "\(configuration.connectionString)"])
            state.withLock { $0.fatal = ZooKeeperError(code: .badArguments) }
            failWaiters(ZooKeeperError(code: .badArguments))
            return
        }
        _ = zoo_set_servers_resolution_delay(raw, Int32(clamping: configuration.hostResolutionDelay.milliseconds))
        for credential in configuration.credentials {
            let bytes = Array(credential.secret.utf8)
            _ = bytes.withUnsafeBufferPointer { buf in
                buf.withMemoryRebound(to: CChar.self) {
                    zoo_add_auth(raw, credential.scheme, $0.baseAddress, Int32($0.count), nil, nil)
                }
            }
        }
        let delay = Self.handleStoreDelayForTesting.load(ordering: .relaxed)
        if delay > 0 { usleep(UInt32(delay)) }
        let (stale, early) = state.withLock { s -> (Handle?, Int64?) in
            if s.closed { return (Handle(raw: raw), nil) }
            s.handle = Handle(raw: raw)
            s.handlerID = handlerID
            defer { s.connectedBeforeHandle = nil }
            return (nil, s.connectedBeforeHandle)
        }
        if let stale {
            _ = zookeeper_close(stale.raw)
            CallbackRegistry.shared.removeSessionHandler(handlerID)
        }
        if let early { markConnected(generation: generation, sessionID: early) }
    }

    /// The session is connected: waiters resume and subscribers hear `.connected`, only once the
    /// handle their requests go through is stored.
    private func markConnected(generation: UInt64, sessionID id: Int64) {
        let (event, waiters) = state.withLock { s -> (SessionEvent?, [CheckedContinuation<Void, any Error>]) in
            guard s.generation == generation, !s.closed else { return (nil, []) }
            guard s.handle != nil else {
                s.connectedBeforeHandle = id
                return (nil, [])
            }
            s.connected = true
            s.everConnected = true
            s.sessionID = id
            defer { s.connectWaiters = [:] }
            return (.connected(sessionID: id), Array(s.connectWaiters.values))
        }
        waiters.forEach { $0.resume() }
        if let event {
            logger.info("zookeeper.connected", metadata: ["zk.session": "\(String(sessionIDHex(event)))"])
            broadcast(event)
        }
    }

    /// Runs on the C completion thread: must not block.
    private func onSessionEvent(generation: UInt64, type: Int32, state st: Int32, sessionID id: Int64) {
        guard type == atl_event_session() else { return }
        if st == atl_state_connected() {
            markConnected(generation: generation, sessionID: id)
        } else if st == atl_state_connecting() || st == atl_state_associating() {
            let wasConnected = state.withLock { s -> Bool in
                guard s.generation == generation, s.connected else { return false }
                s.connected = false
                return true
            }
            if wasConnected {
                logger.warning("zookeeper.suspended")
                broadcast(.suspended)
            }
        } else if st == atl_state_expired() {
            let old = state.withLock { s -> (Handle?, Int)? in
                guard s.generation == generation, !s.closed else { return nil }
                s.connected = false
                defer { s.handle = nil }
                return (s.handle, s.handlerID)
            }
            guard let old else { return }
            logger.warning("zookeeper.session_expired")
            CallbackRegistry.shared.failWatches(session: generation)
            broadcast(.expired)
            Self.blockingQueue.async {
                if let h = old.0 {
                    h.waitIdle()
                    _ = zookeeper_close(h.raw)
                    CallDeadlines.shared.fail(handle: ObjectIdentifier(h), code: .sessionExpired)
                }
                CallbackRegistry.shared.removeSessionHandler(old.1)
                self.openHandle()
            }
        } else if st == atl_state_auth_failed() {
            let error = ZooKeeperError(code: .authFailed)
            state.withLock { $0.fatal = error }
            logger.error("zookeeper.auth_failed")
            failWaiters(error)
        }
    }

    private func sessionIDHex(_ event: SessionEvent) -> String {
        if case .connected(let id) = event { return String(UInt64(bitPattern: id), radix: 16) }
        return ""
    }

    private func failWaiters(_ error: ZooKeeperError) {
        let waiters = state.withLock { s in
            defer { s.connectWaiters = [:] }
            return Array(s.connectWaiters.values)
        }
        waiters.forEach { $0.resume(throwing: error) }
    }

    private func broadcast(_ event: SessionEvent) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        subscribers.forEach { $0.yield(event) }
    }

    // MARK: Submitting requests

    /// The current handle, counted as a user (the caller subtracts 1 once done with it); nil
    /// when closed or not connected yet.
    func acquireHandle() -> Handle? {
        state.withLock { s -> Handle? in
            guard !s.closed, let current = s.handle else { return nil }
            current.users.add(1, ordering: .relaxed)
            return current
        }
    }

    /// Submits one asynchronous C request and waits for its completion (or the operation timeout).
    func submit(
        path: String?,
        prepare: (PendingCall) -> Void = { _ in },
        _ body: (OpaquePointer, UnsafeMutableRawPointer?) -> Int32
    ) async throws -> (CallbackResult, PendingCall) {
        var handle = state.withLock { $0.closed ? nil : $0.handle }
        if handle == nil {
            try await waitConnected(timeout: configuration.operationTimeout)
            handle = state.withLock { $0.handle }
        }
        guard let handle else { throw ZooKeeperError(code: .connectionLoss, path: path) }
        var pending: PendingCall?
        var callID: Int?
        let timeout = configuration.operationTimeout
        defer { callID.map(CallDeadlines.shared.remove) }
        let result = try await withCheckedThrowingContinuation { (c: CheckedContinuation<CallbackResult, any Error>) in
            let call = PendingCall(c)
            pending = call
            prepare(call)
            let id = CallbackRegistry.shared.add(call)
            // Counted as a user under the lock, so that `close` (which takes the handle out under
            // it) waits for this request before freeing the handle; its deadline is set first,
            // so that a close finds it (`CallDeadlines.fail`) if no answer is coming.
            let current = state.withLock { s -> Handle? in
                guard let current = s.handle, current === handle else { return nil }
                current.users.add(1, ordering: .relaxed)
                return current
            }
            guard let current else {
                CallbackRegistry.shared.takeCall(id)?.finish(
                    .failure(ZooKeeperError(code: .connectionLoss, path: path))
                )
                return
            }
            callID = id
            CallDeadlines.shared.add(id, call: call, path: path, timeout: timeout, handle: ObjectIdentifier(current))
            let rc = body(current.raw, context(id))
            current.users.subtract(1, ordering: .releasing)
            if rc != ZOK.rawValue {
                CallbackRegistry.shared.takeCall(id)?.finish(.failure(ZooKeeperError(rc: rc, path: path)))
            }
        }
        return (result, pending!)
    }

    func check(_ rc: Int32, path: String?) throws {
        if rc != ZOK.rawValue { throw ZooKeeperError(rc: rc, path: path) }
    }

    // MARK: Test support

    /// Makes the server expire this client's session, as a long network partition would.
    /// Opens a second connection with the same session id and closes it.
    public func expireSessionForTesting() async throws {
        let (originalGeneration, originalHandle) = state.withLock { ($0.generation, $0.handle) }
        guard let handle = originalHandle else { throw ZooKeeperError(code: .connectionLoss) }
        let hosts = configuration.connectionString
        let timeoutMs = Int32(clamping: configuration.sessionTimeout.milliseconds)
        var clientID = zoo_client_id(handle.raw).pointee
        // Our own client reconnects at once and can take the session back before the twin closes
        // it: try again until this client sees its session expire.
        for _ in 0..<10 {
            let twin = state.withLock { _ in
                zookeeper_init2(hosts, nil, timeoutMs, &clientID, nil, 0, ZooKeeperCLog.callback)
            }
            guard let twin else { throw ZooKeeperError(code: .system) }
            let twinHandle = Handle(raw: twin)
            for _ in 0..<100 where zoo_state(twinHandle.raw) != atl_state_connected() {
                try await Task.sleep(for: .milliseconds(10))
            }
            await onBlockingQueue { _ = zookeeper_close(twinHandle.raw) }
            for _ in 0..<100 {
                if state.withLock({ $0.generation != originalGeneration }) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw ZooKeeperError(code: .operationTimeout)
    }
}
