import Foundation
import Testing
import ZKModel

@Suite struct SchemaValidatorTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func zone(_ name: JSONValue, spec: JSONValue = .object(["region": .string("eu")])) -> JSONValue {
        .object([
            "apiVersion": .string("atlantis/v1"), "kind": .string("Zone"),
            "metadata": .object(["name": name]), "spec": spec,
        ])
    }

    @Test(arguments: [
        ("a", true), ("eu-west-1a", true), ("a1", true), ("A", false), ("1a", false), ("a-", false),
        ("a_b", false), ("", false), (String(repeating: "a", count: 63), true),
        (String(repeating: "a", count: 64), false),
    ])
    func namesMustBeDNSLabels(name: String, valid: Bool) {
        let result = DocumentValidator().validate(Self.zone(.string(name)))
        if valid {
            #expect((try? result.get()) != nil)
        } else {
            guard case .failure(let invalid) = result else {
                Issue.record("accepted \(name)")
                return
            }
            #expect(invalid.errors.map(\.path.description) == ["metadata.name"])
        }
    }

    /// Patterns are compiled once per validator and shared: each field still meets its own
    /// pattern, an invalid pattern still matches nothing, from many tasks at once.
    @Test func compiledPatternsStayWithTheirFields() async throws {
        let schema = try JSONValue.parse(
            #"""
            {"type": "object", "properties": {
              "a": {"type": "string", "pattern": "^[a-z]+$"},
              "b": {"type": "string", "pattern": "[0-9]"},
              "c": {"type": "string", "pattern": "("}}}
            """#
        )
        let validator = SchemaValidator(documents: ["t.schema.json": schema])
        func failing(_ a: String, _ b: String, _ c: String? = nil) -> [String] {
            var fields: [String: JSONValue] = ["a": .string(a), "b": .string(b)]
            if let c { fields["c"] = .string(c) }
            return validator.validate(.object(fields), against: "t.schema.json").map(\.path.description)
        }
        let results = await withTaskGroup(of: [[String]].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<50).flatMap { _ in [failing("abc", "x1y"), failing("ab1", "xyz"), failing("abc", "7", "(")] }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(results.count == 8 * 150)
        for (index, failed) in results.enumerated() {
            switch index % 3 {
            case 0: #expect(failed == [])  // "b" is not anchored: a digit anywhere matches
            case 1: #expect(failed.sorted() == ["a", "b"])
            default: #expect(failed == ["c"])  // "(" does not compile: nothing matches it
            }
        }
    }

    /// A pattern's answers are remembered per short value, and forgotten past a bound: every value,
    /// new or seen before, before and after the bound is passed, long or short, gets its own answer.
    @Test func rememberedAnswersAreEachValuesOwn() throws {
        let schema = try JSONValue.parse(#"{"type": "string", "pattern": "^[a-z]+[0-9]$"}"#)
        let validator = SchemaValidator(documents: ["t.schema.json": schema])
        func valid(_ value: String) -> Bool { validator.validate(.string(value), against: "t.schema.json").isEmpty }
        let values = (0..<3000).map { n in
            // "abc…7" matches; "abc…7x" and "Abc…7" do not.
            var letters = ""
            var rest = n
            repeat {
                letters.append(Character(Unicode.Scalar(UInt8(97 + rest % 26))))
                rest /= 26
            } while rest > 0
            switch n % 3 {
            case 0: return ("a\(letters)\(n % 10)", true)
            case 1: return ("a\(letters)\(n % 10)x", false)
            default: return ("A\(letters)\(n % 10)", false)
            }
        }
        for _ in 0..<2 {
            for (value, expected) in values {
                #expect(valid(value) == expected, "\(value)")
                #expect(valid(value) == expected, "\(value), again")
            }
        }
        #expect(values.filter(\.1).count == 1000)
        // Values longer than the remembered ones are matched each time, first or not.
        let long = String(repeating: "a", count: 300)
        for _ in 0..<2 {
            #expect(valid(long + "7"))
            #expect(!valid(long + "7x"))
            #expect(!valid("A" + long + "7"))
        }
    }

    @Test func errorsNameTheFieldAndTheReason() throws {
        let value = try JSONValue.parse(
            #"""
            {"apiVersion": "atlantis/v1", "kind": "Service", "metadata": {"name": "db"},
             "spec": {"endpoints": [{"host": "db.internal", "port": 0}, {"host": "x", "port": 80, "tls": true}], "protocol": "udp"}}
            """#
        )
        guard case .failure(let invalid) = DocumentValidator().validate(value) else {
            Issue.record("accepted an invalid Service")
            return
        }
        let messages = invalid.errors.map(\.description).sorted()
        #expect(
            messages == [
                "spec.endpoints[0].port: must be >= 1 (got 0)",
                "spec.endpoints[1].tls: is not a known field",
                #"spec.protocol: must be one of "http", "tcp""#,
            ]
        )
    }

    @Test func oneOfNeedsExactlyOneAlternative() throws {
        let base =
            #"{"apiVersion": "atlantis/v1", "kind": "Deploy", "metadata": {"name": "d"}, "spec": {"app": "a", "environment": "prod", "instances": 1 SPEC}}"#
        for (extra, valid) in [
            (#", "image": "a:1""#, true), (#", "build": {"git": "/srv/repo", "ref": "main"}"#, true),
            (#", "image": "a:1", "build": {"git": "/srv/repo"}"#, false), ("", false),
        ] {
            let value = try JSONValue.parse(base.replacingOccurrences(of: " SPEC", with: extra))
            let ok = (try? DocumentValidator().validate(value).get()) != nil
            #expect(ok == valid, "\(extra)")
        }
    }

    @Test func unknownKindAndWrongVersionAreNamed() throws {
        var value = Self.zone(.string("z"))
        guard case .object(var top) = value else {
            Issue.record("the Zone fixture is not a JSON object: \(value)")
            return
        }
        top["kind"] = .string("Database")
        value = .object(top)
        guard case .failure(let e1) = DocumentValidator().validate(value) else {
            Issue.record("accepted")
            return
        }
        #expect(e1.errors.first?.description.contains(#"unknown kind "Database""#) == true)
        top["kind"] = .string("Zone")
        top["apiVersion"] = .string("atlantis/v9")
        guard case .failure(let e2) = DocumentValidator().validate(.object(top)) else {
            Issue.record("accepted")
            return
        }
        #expect(e2.errors.first?.description.contains(#"unsupported version "atlantis/v9""#) == true)
    }

    @Test func embeddedSchemasMatchTheFilesInTheRepository() throws {
        let folder = Self.repoRoot.appendingPathComponent("schemas")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".schema.json")
        }
        // + common, status, instance-status, instance-assignment, supervisor, release, release-pointer,
        // placement, audit-record, secret-set, token
        #expect(files.count == Kind.allCases.count + 16)
        for file in files {
            let onDisk = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent(file)))
            let embedded = SchemaValidator.embedded.documentsForTesting[file]
            #expect(embedded == onDisk, "\(file) differs from the embedded copy: run scripts/gen-schemas.sh")
        }
    }

    @Test func schemasUseOnlyKeywordsTheValidatorImplements() {
        func keywords(_ value: JSONValue, underProperties: Bool = false) -> Set<String> {
            switch value {
            case .object(let members):
                var found: Set<String> = []
                for (key, child) in members {
                    if !underProperties { found.insert(key) }
                    let isMap = !underProperties && (key == "properties" || key == "$defs")
                    found.formUnion(keywords(child, underProperties: isMap))
                }
                return found
            case .array(let items):
                return items.reduce(into: Set<String>()) { $0.formUnion(keywords($1)) }
            default:
                return []
            }
        }
        for (file, schema) in SchemaValidator.embedded.documentsForTesting {
            let unsupported = keywords(schema).subtracting(SchemaValidator.supportedKeywords)
            #expect(unsupported.isEmpty, "\(file) uses \(unsupported.sorted())")
        }
    }

    @Test func canonicalEncodingIsStableAndRoundTrips() throws {
        let value = try JSONValue.parse(#"{"b": [1, 2.5, "x\n\"y\""], "a": {"z": null, "y": true}}"#)
        #expect(value.encoded() == #"{"a":{"y":true,"z":null},"b":[1,2.5,"x\n\"y\""]}"#)
        #expect(try JSONValue.parse(value.encoded()) == value)
        #expect(try JSONValue.parse(value.encoded(pretty: true)) == value)
    }

    @Test func treePathsAndRootValidation() throws {
        let tree = try ZNodeTree(root: "/clusters/eu")
        #expect(tree.desired(DocumentKey(kind: .deploy, name: "web-prod")) == "/clusters/eu/desired/deploys/web-prod")
        #expect(tree.key(ofDesired: "/clusters/eu/desired/apps/web") == DocumentKey(kind: .app, name: "web"))
        #expect(tree.key(ofDesired: "/clusters/eu/status/apps/web") == nil)
        #expect(tree.key(ofDesired: "/clusters/eu/desired/apps/web/x") == nil)
        for bad in ["atlantis", "/", "/a/", "/a//b", "/a/../b", ""] {
            #expect(throws: ZNodeTree.InvalidRoot.self) { try ZNodeTree(root: bad) }
        }
    }
}
