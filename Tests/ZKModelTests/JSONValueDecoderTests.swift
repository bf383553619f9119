import Foundation
import Testing
import ZKModel

/// `JSONValueDecoder` decodes a parsed value as `JSONDecoder` decodes its JSON text: specs are
/// decoded straight from the value an agent already parsed to validate the document.
struct JSONValueDecoderTests {
    /// The oracle: the value written out and parsed again by `JSONDecoder`, as specs were decoded.
    func byText<T: Decodable>(_ type: T.Type, _ value: JSONValue) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(value.encoded().utf8))
    }

    @Test func specsDecodeAsJSONDecoderDecodesTheirText() throws {
        let specs: [(String, (JSONValue) throws -> Bool)] = [
            (
                #"{"app":"shop","environment":"prod","image":"registry.local/shop@sha256:ab","instances":3,"cpu":0.5,"memoryMB":256,"zones":{"policy":"spread","only":["a","b"]},"rollout":{"maxSurge":2,"maxUnavailable":0,"progressDeadlineSeconds":90,"keepWarmSeconds":0}}"#,
                { try JSONValueDecoder.decode(DeploySpec.self, from: $0) == self.byText(DeploySpec.self, $0) }
            ),
            (
                #"{"app":"shop","environment":"staging","build":{"git":"/srv/git/shop.git","ref":"main","pollSeconds":5},"instances":1,"cpu":2}"#,
                { try JSONValueDecoder.decode(DeploySpec.self, from: $0) == self.byText(DeploySpec.self, $0) }
            ),
            (
                #"{"host":"shop.example","pathPrefix":"/api","headers":[{"name":"X-Canary","value":"1"}],"priority":-4,"pool":{"app":"shop","environment":"prod"},"balancing":"least-requests"}"#,
                { try JSONValueDecoder.decode(RouteSpec.self, from: $0) == self.byText(RouteSpec.self, $0) }
            ),
            (
                #"{"host":"db.internal","pool":{"service":"db"}}"#,
                { try JSONValueDecoder.decode(RouteSpec.self, from: $0) == self.byText(RouteSpec.self, $0) }
            ),
            (
                #"{"team":"web","port":8080,"healthCheck":{"path":"/health","intervalSeconds":2,"timeoutSeconds":1},"env":{"A":"1","B":""},"dependsOn":["db"],"dependsOnApps":[{"app":"api","environment":"prod"}],"internal":true}"#,
                { try JSONValueDecoder.decode(AppSpec.self, from: $0) == self.byText(AppSpec.self, $0) }
            ),
            (
                #"{"endpoints":[{"host":"10.0.0.2","port":5432},{"host":"::1","port":1}]}"#,
                { try JSONValueDecoder.decode(ServiceSpec.self, from: $0) == self.byText(ServiceSpec.self, $0) }
            ),
        ]
        for (text, same) in specs {
            let value = try JSONValue.parse(text)
            #expect(try same(value), "\(text)")
        }
        // Through a document, as agents decode it.
        let route = Document(
            kind: .route,
            metadata: .init(name: "r"),
            spec: try JSONValue.parse(#"{"host":"r.test","pool":{"app":"a","environment":"prod"},"priority":2}"#)
        )
        let spec = try route.decodeSpec(RouteSpec.self)
        #expect(spec.host == "r.test" && spec.pool.app == "a" && spec.priority == 2 && spec.pathPrefix == nil)
    }

    /// Random values of every kind, nested: decoded as `JSONValue` they are what `JSONDecoder`
    /// makes of their text (an integral double becomes an integer there too).
    @Test func randomValuesDecodeAsTheirText() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int.random(in: -1_000_000...1_000_000, using: &generator))
            case 3:
                return .double(
                    Bool.random(using: &generator)
                        ? Double(Int.random(in: -100...100, using: &generator))
                        : Double.random(in: -1e6...1e6, using: &generator)
                )
            case 4: return .string(["", "a", "é\"\\\n", "8080", "true", "null"].randomElement(using: &generator)!)
            case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in random(depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for i in 0..<Int.random(in: 0...4, using: &generator) { members["k\(i)"] = random(depth + 1) }
                return .object(members)
            }
        }
        for _ in 0..<300 {
            let value = random(0)
            #expect(try JSONValueDecoder.decode(JSONValue.self, from: value) == byText(JSONValue.self, value))
        }
    }

    struct Numbers: Decodable, Equatable {
        var small: UInt8
        var whole: Int
        var real: Double
        var list: [Int16]
        var maybe: Int?
        var flag: Bool
    }

    @Test func numbersDecodeWhereTheyFitAndAreRefusedWhereNot() throws {
        let fits = try JSONValue.parse(#"{"small":255,"whole":7.0,"real":3,"list":[1,-2],"maybe":null,"flag":false}"#)
        #expect(try JSONValueDecoder.decode(Numbers.self, from: fits) == byText(Numbers.self, fits))
        #expect(
            try JSONValueDecoder.decode(Numbers.self, from: fits)
                == Numbers(small: 255, whole: 7, real: 3, list: [1, -2], maybe: nil, flag: false)
        )
        let refused = [
            (#"{"small":256,"whole":1,"real":1,"list":[],"flag":true}"#, "small"),
            (#"{"small":1,"whole":1.5,"real":1,"list":[],"flag":true}"#, "whole"),
            (#"{"small":1,"whole":1,"real":"1","list":[],"flag":true}"#, "real"),
            (#"{"small":1,"whole":1,"real":1,"list":[1,40000],"flag":true}"#, "list.Index 1"),
            (#"{"small":1,"whole":1,"real":1,"list":[],"flag":1}"#, "flag"),
            (#"{"small":1,"whole":1,"real":1,"list":[]}"#, "flag"),
            (#"{"small":1,"whole":1,"real":1,"list":{},"flag":true}"#, "list"),
            (#"{"small":null,"whole":1,"real":1,"list":[],"flag":true}"#, "small"),
        ]
        for (text, field) in refused {
            let value = try JSONValue.parse(text)
            // JSONDecoder refuses it too.
            #expect(throws: DecodingError.self) { try self.byText(Numbers.self, value) }
            do {
                _ = try JSONValueDecoder.decode(Numbers.self, from: value)
                Issue.record("\(text) decoded")
            } catch let error as DecodingError {
                #expect(Self.path(of: error) == field, "\(text): \(error)")
            }
        }
    }

    /// The field an error names, as `Payload` names it (keys joined with dots).
    static func path(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.map(\.stringValue).joined(separator: ".")
        @unknown default: return ""
        }
    }
}
