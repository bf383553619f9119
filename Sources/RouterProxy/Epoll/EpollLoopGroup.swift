public import Dispatch
import Glibc
public import NIOCore
import Synchronization

/// The proxy's event loops when it runs on its own epoll loops (`--engine epoll`): `count`
/// threads, each an `EpollLoop`. Every loop accepts on the shared listener; connections are
/// handed to the loops in turn (`EpollServerChannel`).
public final class EpollLoopGroup: EventLoopGroup, Sendable {
    let loops: [EpollLoop]
    private let cursor = Atomic<Int>(0)

    /// `count` loops; with `pinnedCPUs`, loop `i` runs on CPU `pinnedCPUs[i % pinnedCPUs.count]`
    /// only (`LoopPinning`).
    public init(numberOfThreads count: Int, pinnedCPUs: [Int] = []) throws {
        precondition(count > 0, "an epoll loop group needs at least one thread")
        // A write to a connection its peer has reset must fail with EPIPE, not end the process
        // (NIO ignores SIGPIPE the same way when it makes its first socket).
        _ = signal(SIGPIPE, SIG_IGN)
        loops = try (0..<count).map {
            try EpollLoop(
                name: "epoll-loop-\($0)",
                cpu: pinnedCPUs.isEmpty ? nil : pinnedCPUs[$0 % pinnedCPUs.count]
            )
        }
    }

    public func next() -> any EventLoop { nextLoop() }

    /// The loops in turn.
    func nextLoop() -> EpollLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    public func makeIterator() -> EventLoopIterator { EventLoopIterator(loops) }

    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        let done = DispatchGroup()
        for loop in loops {
            done.enter()
            loop.shutdownGracefully(queue: queue) { _ in done.leave() }
        }
        done.notify(queue: queue) { callback(nil) }
    }
}
