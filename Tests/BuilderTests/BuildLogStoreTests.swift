import Builder
import Foundation
import Testing

@Suite("Builder: build logs")
struct BuildLogStoreTests {
    static func store(_ limits: BuildLogStore.Limits = .init()) throws -> BuildLogStore {
        try BuildLogStore(folder: NSTemporaryDirectory() + "logs-\(UUID().uuidString)", limits: limits)
    }

    @Test func aLongLineIsCutNotLost() throws {
        let logs = try Self.store(.init(maxLineBytes: 100))
        logs.begin("b-1-0000")
        logs.append("b-1-0000", String(repeating: "x", count: 250))
        logs.append("b-1-0000", "next")
        logs.end("b-1-0000")
        let text = String(decoding: logs.read("b-1-0000") ?? [], as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(String(repeating: "x", count: 100) + " … [line cut: 150 more bytes]"))
        #expect(lines[1] == "next")
    }

    @Test func aLogStopsGrowingAtItsCapAndSaysSo() throws {
        let logs = try Self.store(.init(maxLineBytes: 100, maxLogBytes: 1 << 20))
        logs.begin("b-1-0001")
        for _ in 0..<20000 { logs.append("b-1-0001", String(repeating: "y", count: 99)) }
        logs.end("b-1-0001")
        let bytes = logs.read("b-1-0001") ?? []
        #expect(bytes.count <= (1 << 20) + 200)
        #expect(String(decoding: bytes.suffix(200), as: UTF8.self).contains("[log cut: over 1 MiB"))
    }

    @Test func aFollowerGetsWhatWasThereThenEveryLineUntilTheEnd() async throws {
        let logs = try Self.store()
        logs.begin("b-1-0002")
        logs.append("b-1-0002", "one")
        let stream = logs.follow("b-1-0002")
        logs.append("b-1-0002", "two")
        logs.end("b-1-0002")
        var text = ""
        for await chunk in stream { text += String(decoding: chunk, as: UTF8.self) }
        #expect(text == "one\ntwo\n")
        // After the end, a follower gets the whole log and the stream ends at once.
        var again = ""
        for await chunk in logs.follow("b-1-0002") { again += String(decoding: chunk, as: UTF8.self) }
        #expect(again == "one\ntwo\n")
    }

    @Test func oldLogsArePruned() throws {
        let logs = try Self.store(.init(maxLogs: 2, retention: .seconds(3600)))
        for id in ["b-1-0003", "b-2-0003", "b-3-0003"] {
            logs.begin(id)
            logs.append(id, id)
            logs.end(id)
        }
        #expect(logs.prune(now: Date()) == 1)
        #expect(logs.prune(now: Date().addingTimeInterval(7200)) == 2)
        #expect(logs.read("b-3-0003") == nil)
    }
}
