/// A JSON Schema (draft 2020-12) validator for the subset of keywords `schemas/` uses.
///
/// The schemas are the one definition of each kind's shape; a test checks that every keyword they
/// use is one this validator implements, and that it agrees with Python's `jsonschema` on every
/// example and invalid fixture.
public struct SchemaValidator: Sendable {
    public static let supportedKeywords: Set<String> = [
        "$schema", "$id", "$defs", "$ref", "title", "description",
        "type", "const", "enum", "properties", "required", "additionalProperties", "propertyNames",
        "maxProperties", "items", "minItems", "maxItems", "uniqueItems", "pattern", "minLength", "maxLength",
        "minimum", "maximum", "exclusiveMinimum", "oneOf",
    ]

    /// Schema documents by file name (`app.schema.json`).
    let documents: [String: JSONValue]
    let patterns = CompiledPatterns()

    public init(documents: [String: JSONValue]) {
        self.documents = documents
    }

    /// Validates `value` against the root of the schema file `file`.
    public func validate(_ value: JSONValue, against file: String) -> [FieldError] {
        guard let schema = documents[file] else {
            return [FieldError(path: "", reason: "no schema named \(file)")]
        }
        var errors: [FieldError] = []
        check(value, schema, file: file, path: FieldPath(), errors: &errors)
        return errors
    }

    private func resolve(_ ref: String, file: String) -> (JSONValue, String)? {
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let target = parts[0].isEmpty ? file : String(parts[0].split(separator: "/").last!)
        guard var node = documents[target] else { return nil }
        if parts.count > 1 {
            for component in parts[1].split(separator: "/") {
                guard let next = node[String(component)] else { return nil }
                node = next
            }
        }
        return (node, target)
    }

    private func check(
        _ value: JSONValue,
        _ schema: JSONValue,
        file: String,
        path: FieldPath,
        errors: inout [FieldError]
    ) {
        guard case .object(let s) = schema else { return }
        if let ref = s["$ref"]?.stringValue {
            guard let (target, targetFile) = resolve(ref, file: file) else {
                errors.append(FieldError(path: path, reason: "schema reference \(ref) does not resolve"))
                return
            }
            check(value, target, file: targetFile, path: path, errors: &errors)
        }
        if let type = s["type"] {
            let allowed: [String]
            switch type {
            case .string(let t): allowed = [t]
            case .array(let ts): allowed = ts.compactMap(\.stringValue)
            default: allowed = []
            }
            if !allowed.contains(where: { Self.has(value, type: $0) }) {
                errors.append(
                    FieldError(
                        path: path,
                        reason: "must be \(allowed.joined(separator: " or ")), not \(value.typeName)"
                    )
                )
                return
            }
        }
        if let expected = s["const"], !Self.equal(value, expected) {
            errors.append(FieldError(path: path, reason: "must be \(expected.encoded())"))
        }
        if case .array(let options)? = s["enum"], !options.contains(where: { Self.equal(value, $0) }) {
            let list = options.map { $0.encoded() }.joined(separator: ", ")
            errors.append(FieldError(path: path, reason: "must be one of \(list)"))
        }
        switch value {
        case .object(let members): checkObject(members, s, file: file, path: path, errors: &errors)
        case .array(let items): checkArray(items, s, file: file, path: path, errors: &errors)
        case .string(let string): checkString(string, s, path: path, errors: &errors)
        case .int, .double: checkNumber(value, s, path: path, errors: &errors)
        default: break
        }
        if case .array(let alternatives)? = s["oneOf"] {
            var failures: [[FieldError]] = []
            for alternative in alternatives {
                var e: [FieldError] = []
                check(value, alternative, file: file, path: path, errors: &e)
                failures.append(e)
            }
            let matched = failures.filter(\.isEmpty).count
            if matched == 0 {
                let reasons = failures.compactMap { $0.first?.description }.joined(separator: "; or ")
                errors.append(
                    FieldError(path: path, reason: "must match exactly one alternative, matches none: \(reasons)")
                )
            } else if matched > 1 {
                errors.append(FieldError(path: path, reason: "must match exactly one alternative, matches \(matched)"))
            }
        }
    }

    private func checkObject(
        _ members: [String: JSONValue],
        _ s: [String: JSONValue],
        file: String,
        path: FieldPath,
        errors: inout [FieldError]
    ) {
        if case .array(let required)? = s["required"] {
            for key in required.compactMap(\.stringValue) where members[key] == nil {
                errors.append(FieldError(path: path.appending(key), reason: "is required"))
            }
        }
        if let max = s["maxProperties"]?.intValue, members.count > max {
            errors.append(FieldError(path: path, reason: "must have at most \(max) entries"))
        }
        let properties = s["properties"]?.objectValue ?? [:]
        for key in members.keys.sorted() {
            let value = members[key]!
            let childPath = path.appending(key)
            if let names = s["propertyNames"] {
                var e: [FieldError] = []
                check(.string(key), names, file: file, path: childPath, errors: &e)
                if !e.isEmpty {
                    errors.append(FieldError(path: childPath, reason: "is not an allowed name: \(e[0].reason)"))
                }
            }
            if let property = properties[key] {
                check(value, property, file: file, path: childPath, errors: &errors)
            } else if let additional = s["additionalProperties"] {
                if case .bool(false) = additional {
                    errors.append(FieldError(path: childPath, reason: "is not a known field"))
                } else {
                    check(value, additional, file: file, path: childPath, errors: &errors)
                }
            }
        }
    }

    private func checkArray(
        _ items: [JSONValue],
        _ s: [String: JSONValue],
        file: String,
        path: FieldPath,
        errors: inout [FieldError]
    ) {
        if let min = s["minItems"]?.intValue, items.count < min {
            errors.append(FieldError(path: path, reason: "must have at least \(min) item\(min == 1 ? "" : "s")"))
        }
        if let max = s["maxItems"]?.intValue, items.count > max {
            errors.append(FieldError(path: path, reason: "must have at most \(max) items"))
        }
        if case .bool(true)? = s["uniqueItems"] {
            for i in items.indices {
                if let j = items[..<i].firstIndex(where: { Self.equal($0, items[i]) }) {
                    errors.append(FieldError(path: path.appending(i), reason: "repeats item \(j)"))
                }
            }
        }
        if let itemSchema = s["items"] {
            for (i, item) in items.enumerated() {
                check(item, itemSchema, file: file, path: path.appending(i), errors: &errors)
            }
        }
    }

    private func checkString(_ string: String, _ s: [String: JSONValue], path: FieldPath, errors: inout [FieldError]) {
        let length = string.unicodeScalars.count
        if let min = s["minLength"]?.intValue, length < min {
            errors.append(FieldError(path: path, reason: "must be at least \(min) characters long"))
        }
        if let max = s["maxLength"]?.intValue, length > max {
            errors.append(FieldError(path: path, reason: "must be at most \(max) characters long"))
        }
        if let pattern = s["pattern"]?.stringValue {
            if !patterns.matches(string, pattern) {
                errors.append(
                    FieldError(path: path, reason: "\(JSONValue.string(string).encoded()) does not match \(pattern)")
                )
            }
        }
    }

    private func checkNumber(_ value: JSONValue, _ s: [String: JSONValue], path: FieldPath, errors: inout [FieldError])
    {
        let number = Self.double(value)
        if let min = s["minimum"].map(Self.double), number < min {
            errors.append(FieldError(path: path, reason: "must be >= \(Self.show(min)) (got \(value.encoded()))"))
        }
        if let max = s["maximum"].map(Self.double), number > max {
            errors.append(FieldError(path: path, reason: "must be <= \(Self.show(max)) (got \(value.encoded()))"))
        }
        if let min = s["exclusiveMinimum"].map(Self.double), number <= min {
            errors.append(FieldError(path: path, reason: "must be > \(Self.show(min)) (got \(value.encoded()))"))
        }
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        case ("integer", .double(let d)): return d.rounded() == d
        default: return false
        }
    }

    /// JSON Schema equality: 1 and 1.0 are the same number.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.double, .double), (.int, .int): return double(a) == double(b)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default: return a == b
        }
    }

    static func double(_ value: JSONValue) -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return .nan
        }
    }

    static func show(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    }
}

extension SchemaValidator {
    /// The schema documents, by file name.
    public var documentsForTesting: [String: JSONValue] { documents }
}
