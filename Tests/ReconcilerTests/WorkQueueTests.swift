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

    @Test func anEventsKeyGoesBeforeAResyncsAndABackgroundKeyAddedByAnEventMovesAhead() async {
        let queue = WorkQueue()
        for key in ["r1", "r2", "r3"] { await queue.addBackground(key) }
        await queue.add("event")
        await queue.add("r3")  // an event for a key waiting in the background lane
        #expect(await queue.depth == 4)
        var order: [String] = []
        for _ in 0..<4 {
            guard let key = await queue.next() else { break }
            order.append(key)
            await queue.done(key)
        }
        #expect(order == ["event", "r3", "r1", "r2"])
        #expect(await queue.depth == 0)
        // A background key is handed to a waiting worker at once.
        async let waiting = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        await queue.addBackground("late")
        #expect(await waiting == "late")
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
