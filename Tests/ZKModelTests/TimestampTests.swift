import Foundation
import Testing
import ZKModel

@Suite("Timestamp")
struct TimestampTests {
    /// What every stored time was written with before: the same text, to the second, in UTC.
    @Test(arguments: [0, 951_782_400.75, 1_764_921_540.999, 1_796_460_000, -86_400.5, 4_102_444_799])
    func writesWhatISO8601DateFormatterWrote(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(Timestamp.string(date) == ISO8601DateFormatter().string(from: date))
    }

    @Test func isUTCToTheSecond() {
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_796_460_300.5)) == "2026-12-05T08:45:00Z")
    }
}
