import Reconciler
import Testing

@Suite struct WorkQueueTests {
    @Test func addingAWaitingKeyCoalesces() async {
        let q = WorkQueue()
        for _ in 0..<100 { await q.add("a") }
        await q.add("b")
        #expect(await q.depth == 2)
        #expect(await q.next() == "a")
        #expect(await q.next() == "b")
    }

    @Test func aKeyInProcessIsNotHandedOutAgainUntilDone() async {
        let q = WorkQueue()
        await q.add("a")
        #expect(await q.next() == "a")
        await q.add("a")  // changed while processing
        #expect(await q.depth == 0)
        await q.add("b")
        #expect(await q.next() == "b")
        await q.done("a")
        #expect(await q.next() == "a")  // re-queued once done
        await q.done("a")
        await q.done("b")
        #expect(await q.depth == 0)
    }

    @Test func delayedAddsArriveLaterAndTheEarliestWins() async {
        let q = WorkQueue()
        await q.add("a", after: .seconds(30))
        await q.add("a", after: .milliseconds(20))
        #expect(await q.depth == 0)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await q.next() == "a")
        #expect(clock.now - start < .seconds(10))
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let q = WorkQueue()
        async let waiting = q.next()
        try? await Task.sleep(for: .milliseconds(20))
        await q.shutDown()
        #expect(await waiting == nil)
        await q.add("x")
        #expect(await q.next() == nil)
    }

    @Test func backoffGrowsAndIsCapped() {
        let b = Backoff(base: .milliseconds(250), cap: .seconds(300), jitter: 0)
        #expect(b.delay(failures: 1) == .milliseconds(250))
        #expect(b.delay(failures: 2) == .milliseconds(500))
        #expect(b.delay(failures: 5) == .seconds(4))
        #expect(b.delay(failures: 50) == .seconds(300))
        let jittered = Backoff(base: .seconds(1), cap: .seconds(10), jitter: 0.5)
        #expect(jittered.delay(failures: 1, random: 1) == .milliseconds(500))
    }
}
