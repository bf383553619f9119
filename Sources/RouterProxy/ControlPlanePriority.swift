public import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Keeps the router's control plane out of its data plane's way: every thread of the process
/// but the event loops (ZooKeeper's client threads, the task threads that read changes, build
/// tables and write reports) gets a higher nice value, so a change that comes in while the
/// loops are busy waits for them instead of preempting one with requests in flight. A thread
/// may always lower its own priority; nothing needs a privilege.
public enum ControlPlanePriority {
    /// The kernel's id of the calling thread (`/proc/thread-self` names it: `<pid>/task/<tid>`).
    public static func currentThreadID() -> Int32 {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard count > 0 else { return 0 }
        let link = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int32(link.split(separator: "/").last ?? "") ?? 0
        #else
        return 0
        #endif
    }

    /// The thread ids of `group`'s event loops.
    public static func threadIDs(of group: any EventLoopGroup) async throws -> Set<Int32> {
        var ids = Set<Int32>()
        for loop in group.makeIterator() {
            ids.insert(try await loop.submit { currentThreadID() }.get())
        }
        return ids
    }

    /// Gives every thread of the process not in `keep` the nice value `nice` (those already at
    /// it or above are left alone) and, with `batch`, the `SCHED_BATCH` policy (a woken thread
    /// then waits for the running one's slice instead of preempting it); returns how many it
    /// changed. Threads made later are caught by the next call (a new thread takes the nice value
    /// and policy of the one that made it).
    @discardableResult
    public static func lower(allBut keep: Set<Int32>, to nice: Int32, batch: Bool = false) -> Int {
        #if os(Linux)
        guard nice > 0 || batch, let tasks = opendir("/proc/self/task") else { return 0 }
        defer { closedir(tasks) }
        var changed = 0
        while let entry = readdir(tasks) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let id = Int32(name), !keep.contains(id) else { continue }
            // The nice value stays as it is.
            if batch, sched_getscheduler(id) == LoopScheduling.normal.policy {
                var parameters = sched_param()
                if sched_setscheduler(id, LoopScheduling.batch.policy, &parameters) == 0 { changed += 1 }
            }
            guard nice > 0 else { continue }
            errno = 0
            let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(id))
            if errno != 0 || current >= nice { continue }
            if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(id), nice) == 0 { changed += 1 }
        }
        return changed
        #else
        return 0
        #endif
    }
}
