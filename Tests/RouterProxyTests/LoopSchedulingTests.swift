#if os(Linux)
import Glibc
import NIOCore
import NIOPosix
import RouterProxy
import Testing

@Suite("Event-loop scheduling")
struct LoopSchedulingTests {
    @Test func batchAndNormalAreAppliedToEveryThreadOfTheGroup() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        func policies() async throws -> [Int32] {
            var out: [Int32] = []
            for loop in group.makeIterator() { out.append(try await loop.submit { sched_getscheduler(0) }.get()) }
            return out
        }
        // Set first: threads take the policy of the thread that made them, and another test's
        // router may have made this process's threads batch.
        try await LoopScheduling.normal.apply(to: group)
        #expect(try await policies() == [0, 0])  // SCHED_OTHER
        try await LoopScheduling.batch.apply(to: group)
        #expect(try await policies() == [3, 3])  // SCHED_BATCH
        try await LoopScheduling.normal.apply(to: group)
        #expect(try await policies() == [0, 0])
        try await group.shutdownGracefully()
    }
}
#endif
