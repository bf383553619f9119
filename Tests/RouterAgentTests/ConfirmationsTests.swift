import Reconciler
import Testing
import ZKModel

@testable import RouterAgent

@Suite("which reports a router saw confirmed, and since when they are not")
struct ConfirmationsTests {
    @Test func aReportLostThenConfirmedAgainIsKnownAndNoLongerLost() {
        let now = ContinuousClock.now
        var seen = Confirmations()
        #expect(!seen.knows("a"))
        #expect(seen.lostSince("a", now: now) == nil)
        seen.confirmed.insert("a")
        #expect(seen.knows("a"))
        #expect(seen.lostSince("a", now: now) == now, "confirmed: counted from now")
        var next = Confirmations()
        next.lost["a"] = now - .seconds(3)
        #expect(next.knows("a"))
        #expect(next.lostSince("a", now: now) == now - .seconds(3))
        next.confirmed.insert("a")
        next.unlose("a")
        #expect(next.lost.isEmpty)
        next.confirmed.remove("a")
        #expect(!next.knows("a"))
    }

    /// Every report of a supervisor lost at once, then confirmed again under its next session:
    /// the emptied dictionary gives its room back.
    @Test func anEmptiedLostSetGivesItsRoomBack() {
        let now = ContinuousClock.now
        var seen = Confirmations()
        for i in 0..<5000 { seen.lost["i-\(i)"] = now }
        #expect(seen.lost.capacity >= 5000)
        for i in 0..<4999 {
            seen.confirmed.insert("i-\(i)")
            seen.unlose("i-\(i)")
        }
        #expect(seen.lost.count == 1, "not emptied: kept")
        seen.unlose("i-4999")
        #expect(seen.lost.isEmpty)
        #expect(seen.lost.capacity < 1024, "room for \(seen.lost.capacity) kept")
        #expect(seen.confirmed.count == 4999)
    }

    /// While a table base holds the last build, the reports it routes are the confirmed ones, and
    /// the set is not asked.
    @Test func theReportsABaseRoutesAreTheConfirmedOnes() throws {
        let now = ContinuousClock.now
        var seen = Confirmations()
        seen.confirmed.insert("apart")
        let routed: DenseDictionary = [
            "a": try ParsedReport(InstanceStatus(app: "a", environment: "p", host: "h", port: 1, healthy: true))
        ]
        #expect(seen.knows("a", routed: routed))
        #expect(seen.lostSince("a", now: now, routed: routed) == now)
        #expect(!seen.knows("apart", routed: routed))
        #expect(seen.lostSince("apart", now: now, routed: routed) == nil)
        seen.lost["b"] = now - .seconds(1)
        #expect(seen.knows("b", routed: routed), "lost: known whoever holds the confirmed ones")
        #expect(seen.knows("apart") && !seen.knows("a"), "no base: the set")
    }
}
