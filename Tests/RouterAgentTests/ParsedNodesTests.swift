import Synchronization
import Testing

@testable import RouterAgent

@Suite struct ParsedNodesTests {
    final class Parses: Sendable {
        let seen = Mutex<[String]>([])
        func parse(_ data: [UInt8]) -> String? {
            let text = String(decoding: data, as: UTF8.self)
            seen.withLock { $0.append(text) }
            return text == "bad" ? nil : text.uppercased()
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
        let nodes = ParsedNodes<String> { parses.parse($0) }

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
}
