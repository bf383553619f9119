import Synchronization
import Testing

@testable import RouterAgent

@Suite struct ParsedNodesTests {
    final class Parses: Sendable {
        let seen = Mutex<[String]>([])
        struct Bad: Error, CustomStringConvertible { var description: String { "not a word" } }
        func parse(_ data: [UInt8]) throws -> String {
            let text = String(decoding: data, as: UTF8.self)
            seen.withLock { $0.append(text) }
            if text == "bad" { throw Bad() }
            return text.uppercased()
        }
        func take() -> [String] {
            seen.withLock { s in
                defer { s = [] }
                return s
            }
        }
    }

    static func node(_ key: String, _ text: String, mzxid: Int64) -> (key: String, mzxid: Int64, data: [UInt8]) {
        (key, mzxid, Array(text.utf8))
    }

    @Test func eachVersionOfANodeIsParsedOnce() {
        let parses = Parses()
        let nodes = ParsedNodes<String> { try parses.parse($0) }

        #expect(
            nodes.values([
                Self.node("a", "one", mzxid: 1), Self.node("b", "two", mzxid: 2), Self.node("x", "bad", mzxid: 3),
            ])
                == ["ONE", "TWO"]
        )
        #expect(parses.take().sorted() == ["bad", "one", "two"])

        // Unchanged: nothing parsed again, a node that did not parse still left out.
        #expect(
            nodes.values([
                Self.node("a", "one", mzxid: 1), Self.node("b", "two", mzxid: 2), Self.node("x", "bad", mzxid: 3),
            ])
                == ["ONE", "TWO"]
        )
        #expect(parses.take() == [])

        // "b" changed (a new mzxid): only it is parsed, and its new value is served.
        #expect(
            nodes.values([Self.node("a", "one", mzxid: 1), Self.node("b", "three", mzxid: 4)]) == ["ONE", "THREE"]
        )
        #expect(parses.take() == ["three"])

        // "a" deleted and later created again with the same text: it was forgotten, so it is parsed.
        #expect(nodes.values([Self.node("b", "three", mzxid: 4)]) == ["THREE"])
        #expect(
            nodes.values([Self.node("a", "one", mzxid: 5), Self.node("b", "three", mzxid: 4)]) == ["ONE", "THREE"]
        )
        #expect(parses.take() == ["one"])
    }

    @Test func aVersionThatDoesNotParseKeepsTheLastValidOneAndIsReportedUntilFixed() {
        let parses = Parses()
        let nodes = ParsedNodes<String> { try parses.parse($0) }
        var failed: [UnreadableNode] = []
        #expect(nodes.values([Self.node("a", "one", mzxid: 1)]) { failed.append($0) } == ["ONE"])
        #expect(failed.isEmpty && nodes.unreadable().isEmpty)

        // Written behind the manager's back: the last valid version is still served, and said.
        #expect(nodes.values([Self.node("a", "bad", mzxid: 2)]) { failed.append($0) } == ["ONE"])
        #expect(failed == [UnreadableNode(key: "a", error: "not a word", keptPrevious: true)])
        #expect(nodes.unreadable() == ["a": "not a word"])
        // Said once per version, reported for as long as it lasts, and a second bad version
        // still falls back to the last valid one.
        #expect(nodes.values([Self.node("a", "bad", mzxid: 2)]) { failed.append($0) } == ["ONE"])
        #expect(nodes.values([Self.node("a", "bad", mzxid: 3)]) { failed.append($0) } == ["ONE"])
        #expect(failed.count == 2 && nodes.unreadable() == ["a": "not a word"])

        // Fixed: the new version is served, nothing reported.
        #expect(nodes.values([Self.node("a", "two", mzxid: 4)]) { failed.append($0) } == ["TWO"])
        #expect(nodes.unreadable().isEmpty)

        // A node that never had a valid version is left out, and reported as such.
        #expect(
            nodes.values([Self.node("a", "two", mzxid: 4), Self.node("x", "bad", mzxid: 5)]) { failed.append($0) } == [
                "TWO"
            ]
        )
        #expect(failed.last == UnreadableNode(key: "x", error: "not a word", keptPrevious: false))
    }
}
