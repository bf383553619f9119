import Testing

@testable import ZooKeeper

@Suite("calls without an answer time out")
struct CallDeadlinesTests {
    @Test func anUnansweredCallFailsWithOperationTimeoutAndAnAnsweredOneIsForgotten() async throws {
        let deadlines = CallDeadlines(tick: .milliseconds(10))
        let started = ContinuousClock.now
        await #expect(throws: ZooKeeperError(code: .operationTimeout, path: "/never")) {
            _ = try await withCheckedThrowingContinuation { (c: CheckedContinuation<CallbackResult, any Error>) in
                deadlines.add(1, call: PendingCall(c), path: "/never", timeout: .milliseconds(50))
            }
        }
        #expect(ContinuousClock.now - started >= .milliseconds(50), "not before its deadline")
        #expect(deadlines.count == 0)

        // Answered before its deadline: the answer stands, and nothing is left to sweep.
        let answer = try await withCheckedThrowingContinuation { (c: CheckedContinuation<CallbackResult, any Error>) in
            let call = PendingCall(c)
            deadlines.add(2, call: call, path: "/answered", timeout: .milliseconds(50))
            call.finish(.success(.void(rc: 0)))
        }
        deadlines.remove(2)
        #expect(answer.rc == 0)
        #expect(deadlines.count == 0)
    }
}
