import CEpoll
public import Dispatch
import Glibc
import NIOConcurrencyHelpers
public import NIOCore
import Synchronization

/// One thread running its own `epoll` loop: the proxy's sockets (`EpollSocketChannel`) are
/// registered once, edge-triggered, for reads and writes, and never modified again; timers are
/// a heap checked around `epoll_wait`; tasks from other threads come through a lock and an
/// `eventfd`. It is a NIO `EventLoop`, so the proxy's handlers, promises and timers run on it
/// unchanged — only the channel machinery under them is the router's own (`bench/RESULTS.md`:
/// NIO's channels alone cost more CPU per request than nginx's whole proxying).
public final class EpollLoop: EventLoop, @unchecked Sendable {
    let epoll: Int32
    private let waker: Waker
    private var thread = pthread_t()
    private let started = ConditionLock(value: false)

    /// Tasks from other threads; the loop takes them all at once.
    private let remote = NIOLockedValueBox<[@Sendable () -> Void]>([])
    /// Tasks from the loop itself (no lock), and the array they are run from.
    private var local: [() -> Void] = []
    private var running: [() -> Void] = []

    private var timers = TimerHeap()
    private var timerTasks: [Int: () -> Void] = [:]
    private let timerIDs = Atomic<Int>(0)

    /// Handles by descriptor.
    private var slots: [EpollHandle?] = []
    private var registrations: UInt32 = 0
    /// Sockets whose reads continue before the next `epoll_wait` (a read that filled the buffer,
    /// or a read asked for while bytes were known to be waiting).
    var readyToRead: [EpollSocketChannel] = []
    private var readyBatch: [EpollSocketChannel] = []
    /// The buffer reads go into: reused whenever the previous read's bytes were let go.
    var readBuffer: ByteBuffer
    static let readBufferSize = 16 * 1024
    let allocator = ByteBufferAllocator()

    private var stopping = false
    private let shutdownCallbacks = NIOLockedValueBox<[@Sendable ((any Error)?) -> Void]>([])

    /// Starts the loop's thread, named `name`, on `cpu` only if one is given (a pin that fails
    /// leaves the thread where the kernel puts it, as NIO's pinned loops do).
    init(name: String, cpu: Int? = nil) throws {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        let wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wake >= 0 else {
            Glibc.close(epoll)
            throw IOError(errnoCode: errno, reason: "eventfd")
        }
        waker = Waker(fd: wake)
        readBuffer = allocator.buffer(capacity: Self.readBufferSize)
        try register(waker, events: EPOLLIN.rawValue)
        let box = Unmanaged.passRetained(
            ThreadBody { [self] in
                if let cpu { _ = cepoll_pin_to_cpu(Int32(cpu)) }
                run(name: name)
            }
        )
        let rc = pthread_create(
            &thread,
            nil,
            { argument in
                Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            },
            box.toOpaque()
        )
        guard rc == 0 else {
            box.release()
            throw IOError(errnoCode: rc, reason: "pthread_create")
        }
        pthread_detach(thread)
        started.lock(whenValue: true)
        started.unlock()
    }

    private final class ThreadBody {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// The loop's `eventfd`: written to wake the loop for tasks from other threads.
    private final class Waker: EpollHandle, @unchecked Sendable {
        override func ready(_ events: UInt32) {
            var value: UInt64 = 0
            _ = Glibc.read(fd, &value, 8)
        }

        func wake() {
            var one: UInt64 = 1
            _ = Glibc.write(fd, &one, 8)
        }
    }

    // MARK: EventLoop

    public var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    public func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            local.append(task)
        } else {
            remote.withLockedValue { $0.append(task) }
            waker.wake()
        }
    }

    public func _executeIsolatedUnsafeUnchecked(_ task: @escaping () -> Void) {
        if inEventLoop {
            local.append(task)
        } else {
            let transfer = UnsafeTransfer(task)
            execute { transfer.value() }
        }
    }

    public func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        schedule(deadline: deadline, task)
    }

    public func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        schedule(deadline: .now() + delay, task)
    }

    public func _scheduleTaskIsolatedUnsafeUnchecked<T>(
        deadline: NIODeadline,
        _ task: @escaping () throws -> T
    ) -> Scheduled<T> {
        schedule(deadline: deadline, task)
    }

    public func _scheduleTaskIsolatedUnsafeUnchecked<T>(
        in delay: TimeAmount,
        _ task: @escaping () throws -> T
    ) -> Scheduled<T> {
        schedule(deadline: .now() + delay, task)
    }

    private func schedule<T>(deadline: NIODeadline, _ task: @escaping () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let id = timerIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let run = {
            do {
                promise.assumeIsolatedUnsafeUnchecked().succeed(try task())
            } catch {
                promise.fail(error)
            }
        }
        if inEventLoop {
            addTimer(id: id, deadline: deadline, run)
        } else {
            let transfer = UnsafeTransfer(run)
            execute { self.addTimer(id: id, deadline: deadline, transfer.value) }
        }
        return Scheduled(promise: promise) { [self] in
            if inEventLoop {
                cancelTimer(id: id, promise)
            } else {
                execute { self.cancelTimer(id: id, promise) }
            }
        }
    }

    private func addTimer(id: Int, deadline: NIODeadline, _ run: @escaping () -> Void) {
        timerTasks[id] = run
        timers.push(.init(deadline: deadline.uptimeNanoseconds, id: id))
        // Entries of cancelled timers (idle checks of closed connections) are dropped in bulk.
        if timers.count > 64, timers.count > 4 * timerTasks.count {
            timers.compact { timerTasks[$0] != nil }
        }
    }

    private func cancelTimer<T>(id: Int, _ promise: EventLoopPromise<T>) {
        guard timerTasks.removeValue(forKey: id) != nil else { return }
        promise.fail(EventLoopError.cancelled)
    }

    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        shutdownCallbacks.withLockedValue { $0.append { error in queue.async { callback(error) } } }
        execute { self.stopping = true }
    }

    public func next() -> any EventLoop { self }

    public func makeIterator() -> EventLoopIterator { EventLoopIterator([self]) }

    // MARK: Registration

    /// Watches `handle`'s descriptor for `events` (EPOLLIN…, EPOLLET).
    func register(_ handle: EpollHandle, events: UInt32) throws {
        let fd = Int(handle.fd)
        registrations &+= 1
        handle.token = UInt64(registrations) << 32 | UInt64(UInt32(bitPattern: handle.fd))
        var event = epoll_event()
        event.events = events
        cepoll_set_u64(&event, handle.token)
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, handle.fd, &event) == 0 else {
            throw IOError(errnoCode: errno, reason: "epoll_ctl")
        }
        if fd >= slots.count { slots.append(contentsOf: repeatElement(nil, count: max(fd + 1 - slots.count, 64))) }
        slots[fd] = handle
    }

    /// Stops watching `handle`; `remove` also takes its descriptor out of the epoll set (needed
    /// only for a descriptor that stays open, such as a listener other loops still watch).
    func deregister(_ handle: EpollHandle, remove: Bool = false) {
        let fd = Int(handle.fd)
        if fd < slots.count, slots[fd] === handle { slots[fd] = nil }
        if remove { epoll_ctl(epoll, EPOLL_CTL_DEL, handle.fd, nil) }
    }

    /// Every socket still registered (closed when the loop stops).
    private var sockets: [EpollSocketChannel] { slots.compactMap { $0 as? EpollSocketChannel } }

    // MARK: The loop

    private func run(name: String) {
        thread = pthread_self()
        Self.nameThread(name)
        started.lock()
        started.unlock(withValue: true)
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        while true {
            let timeout = nextTimeout()
            let count = epoll_wait(epoll, &events, Int32(events.count), timeout)
            if count > 0 {
                for i in 0..<Int(count) {
                    let token = cepoll_data_u64(&events[i])
                    let fd = Int(UInt32(truncatingIfNeeded: token))
                    if fd < slots.count, let handle = slots[fd], handle.token == token {
                        handle.ready(events[i].events)
                    }
                }
            }
            runReadyToRead()
            runTimers()
            runTasks()
            if stopping {
                for socket in sockets { socket.close0(error: ChannelError.ioOnClosedChannel, mode: .all, promise: nil) }
                runTasks()
                break
            }
        }
        Glibc.close(waker.fd)
        Glibc.close(epoll)
        for callback in shutdownCallbacks.withLockedValue({ $0 }) { callback(nil) }
    }

    /// Names the calling thread (what `top -H` and `/proc/<pid>/task/*/comm` show).
    private static func nameThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = String(name.prefix(15)).withCString { Glibc.write(fd, $0, strlen($0)) }
        Glibc.close(fd)
    }

    private func nextTimeout() -> Int32 {
        if !local.isEmpty || !readyToRead.isEmpty || stopping { return 0 }
        guard let earliest = timers.earliest else { return -1 }
        let now = NIODeadline.now().uptimeNanoseconds
        guard earliest.deadline > now else { return 0 }
        // Rounded up: waking a little late is fine, waking early only loops again.
        return Int32(clamping: (earliest.deadline - now + 999_999) / 1_000_000)
    }

    private func runReadyToRead() {
        guard !readyToRead.isEmpty else { return }
        swap(&readyBatch, &readyToRead)
        for socket in readyBatch { socket.continueReading() }
        readyBatch.removeAll(keepingCapacity: true)
    }

    private func runTimers() {
        guard !timers.isEmpty else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        while let earliest = timers.earliest, earliest.deadline <= now {
            _ = timers.pop()
            if let run = timerTasks.removeValue(forKey: earliest.id) { run() }
        }
    }

    private func runTasks() {
        let fromOthers = remote.withLockedValue { tasks -> [@Sendable () -> Void] in
            guard !tasks.isEmpty else { return [] }
            defer { tasks.removeAll(keepingCapacity: true) }
            return tasks
        }
        for task in fromOthers { task() }
        while !local.isEmpty {
            swap(&running, &local)
            for task in running { task() }
            running.removeAll(keepingCapacity: true)
        }
    }
}

/// A value handed to a closure that is run on the loop that made it.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
