public import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How the kernel schedules the proxy's event-loop threads.
public enum LoopScheduling: String, Sendable, CaseIterable {
    /// The default policy: a thread woken by a packet preempts whatever runs on its core.
    case normal
    /// `SCHED_BATCH` (Linux): a woken event-loop thread waits for the running task's slice
    /// instead of preempting it, so it finds several connections ready at once and handles them
    /// in one wakeup. On a machine shared with clients and backends this halves the proxy's
    /// context switches per request (figures in docs/architecture.md).
    case batch

    /// Applies the policy to every thread of `group`.
    public func apply(to group: any EventLoopGroup) async throws {
        for loop in group.makeIterator() {
            try await loop.submit { try self.applyToCurrentThread() }.get()
        }
    }

    struct Failed: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { "could not set the event-loop scheduling policy (errno \(errno))" }
    }

    /// The kernel's number for the policy: SCHED_OTHER is 0 and SCHED_BATCH 3 in <sched.h>.
    var policy: Int32 { self == .batch ? 3 : 0 }

    private func applyToCurrentThread() throws {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = 0
        // pid 0 means the calling thread.
        if sched_setscheduler(0, policy, &parameters) != 0 { throw Failed(errno: errno) }
        #endif
    }
}
