/// Decodes a `Decodable` straight from a parsed `JSONValue`: what `JSONDecoder` makes of the
/// value's JSON text, without writing that text and parsing it again. A document's spec is
/// decoded this way (`Document.decodeSpec`) each time an agent reads a changed node, after the
/// node's JSON was parsed once to be validated.
///
/// Numbers decode as `JSONDecoder` decodes the text `JSONValue.encoded()` writes for them: an
/// integral double as an integer, an integer as a double; a value that does not fit the type
/// asked for is an error, as are a string asked for as a number and a number as a string.
/// Errors are `DecodingError`s with the coding path of the value, as `JSONDecoder` throws them.
public struct JSONValueDecoder: Decoder {
    public let value: JSONValue
    public let codingPath: [any CodingKey]
    public var userInfo: [CodingUserInfoKey: Any] { [:] }

    public init(_ value: JSONValue, codingPath: [any CodingKey] = []) {
        self.value = value
        self.codingPath = codingPath
    }

    /// `T` decoded from `value`.
    public static func decode<T: Decodable>(_ type: T.Type = T.self, from value: JSONValue) throws -> T {
        try T(from: JSONValueDecoder(value))
    }

    public func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw Self.mismatch([String: Any].self, value, codingPath)
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    public func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else {
            throw Self.mismatch([Any].self, value, codingPath)
        }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    public func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath)
    }

    static func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        let found = value == .null ? "null value" : value.typeName
        return DecodingError.typeMismatch(
            type,
            .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(found) instead.")
        )
    }

    /// A scalar from `value`, or the error `JSONDecoder` would give for it.
    static func scalar<T>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        switch value {
        case .null:
            throw DecodingError.valueNotFound(
                type,
                .init(codingPath: path, debugDescription: "Expected \(type) value but found null instead.")
            )
        case .bool(let b):
            if let b = b as? T { return b }
        case .string(let s):
            if let s = s as? T { return s }
        case .int(let i):
            if let number = try integer(type, exactly: i, path) { return number }
        case .double(let d):
            if let number = try number(type, exactly: d, path) { return number }
        case .array, .object:
            break
        }
        throw mismatch(type, value, path)
    }

    private static func integer<T>(_ type: T.Type, exactly i: Int, _ path: [any CodingKey]) throws -> T? {
        let number: Any?
        switch type {
        case is Int.Type: number = i
        case is Int8.Type: number = Int8(exactly: i)
        case is Int16.Type: number = Int16(exactly: i)
        case is Int32.Type: number = Int32(exactly: i)
        case is Int64.Type: number = Int64(exactly: i)
        case is UInt.Type: number = UInt(exactly: i)
        case is UInt8.Type: number = UInt8(exactly: i)
        case is UInt16.Type: number = UInt16(exactly: i)
        case is UInt32.Type: number = UInt32(exactly: i)
        case is UInt64.Type: number = UInt64(exactly: i)
        case is Double.Type: return Double(i) as? T
        case is Float.Type: return Float(i) as? T
        default: return nil
        }
        guard let number else { throw unrepresentable("\(i)", type, path) }
        return number as? T
    }

    private static func number<T>(_ type: T.Type, exactly d: Double, _ path: [any CodingKey]) throws -> T? {
        switch type {
        case is Double.Type: return d as? T
        case is Float.Type:
            guard Float(d).isFinite else { throw unrepresentable("\(d)", type, path) }
            return Float(d) as? T
        default:
            // An integral double is an integer, as the schema check reads it (`intValue`).
            guard let whole = JSONValue.double(d).intValue else {
                if type is any FixedWidthInteger.Type { throw unrepresentable("\(d)", type, path) }
                return nil
            }
            return try integer(type, exactly: whole, path)
        }
    }

    private static func unrepresentable(_ text: String, _ type: Any.Type, _ path: [any CodingKey]) -> DecodingError {
        .dataCorrupted(
            .init(codingPath: path, debugDescription: "Number \(text) is not representable in Swift as \(type).")
        )
    }

    /// The key of an array element in a coding path, as `JSONDecoder` names it.
    struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct SuperKey: CodingKey {
        var stringValue: String { "super" }
        var intValue: Int? { nil }
        init() {}
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
    }
}
