import Testing
import ZKModel

/// `JSONValue.parse` gives each kind of value as it is written: the order the kinds are tried in
/// (most common first) must not turn one kind into another.
struct JSONValueParseTests {
    @Test func everyKindOfValueParsesAsWritten() throws {
        let text = #"""
            {"s": "8080", "e": "", "i": 8080, "n": -3, "d": 1.5, "t": true, "f": false, "z": null,
             "a": ["x", 1, 2.5, false, null, [], {}, ["nested"]], "o": {"k": {"deep": "v"}}, "u": "\u00e9\"q"}
            """#
        let value = try JSONValue.parse(text)
        let expected: JSONValue = .object([
            "s": .string("8080"), "e": .string(""), "i": .int(8080), "n": .int(-3), "d": .double(1.5),
            "t": .bool(true), "f": .bool(false), "z": .null,
            "a": .array([
                .string("x"), .int(1), .double(2.5), .bool(false), .null, .array([]), .object([:]),
                .array([.string("nested")]),
            ]),
            "o": .object(["k": .object(["deep": .string("v")])]), "u": .string("é\"q"),
        ])
        #expect(value == expected)
        #expect(try JSONValue.parse(#"["a"]"#) == .array([.string("a")]))
        #expect(try JSONValue.parse("7") == .int(7))
        #expect(throws: (any Error).self) { try JSONValue.parse(#"{"a": }"#) }
    }
}
