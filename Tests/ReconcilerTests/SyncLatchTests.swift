import Reconciler
import Synchronization
import Testing

@Suite struct SyncLatchTests {
    @Test func waitersBeforeAndAfterOpeningReturn() async throws {
        let latch = SyncLatch()
        let early = Task { try await latch.wait() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!latch.isOpen)
        latch.open()
        try await early.value
        try await latch.wait()  // already open: returns at once
        #expect(latch.isOpen)
    }

    @Test func aCancelledWaiterThrowsAndTheOthersKeepWaiting() async throws {
        let latch = SyncLatch()
        let cancelled = Task { try await latch.wait() }
        let other = Task { try await latch.wait() }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let otherDone = Mutex(false)
        let watcher = Task {
            try await other.value
            otherDone.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!otherDone.withLock { $0 }, "a waiter returned before the latch opened")
        latch.open()
        try await watcher.value
        #expect(otherDone.withLock { $0 })
    }

    @Test func aTaskCancelledBeforeWaitingThrowsAtOnce() async throws {
        let latch = SyncLatch()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await latch.wait()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
