import Foundation

/// The one codec for znode payloads: JSON with sorted keys (the same value always gives the same
/// bytes, so an unchanged payload is never rewritten), and decoding errors that name the znode.
public enum Payload {
    /// The bytes to store for `value`; throws rather than store something else.
    public static func encode(_ value: some Encodable) throws(PayloadError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw PayloadError(path: nil, type: "\(type(of: value))", reason: "\(error)")
        }
    }

    /// The value stored at `path` (named in the error when the bytes are not a `T`).
    public static func decode<T: Decodable>(_ type: T.Type, from data: [UInt8], path: String) throws(PayloadError) -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: Data(data))
        } catch {
            throw PayloadError(path: path, type: "\(T.self)", reason: Self.reason(error))
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(Self.field(context.codingPath + [key])): missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(Self.field(context.codingPath)): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not JSON (\(context.debugDescription))"
                : "\(Self.field(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func field(_ path: [any CodingKey]) -> String {
        path.isEmpty
            ? "(the whole payload)"
            : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// A payload that could not be encoded, or a znode whose bytes are not the type expected there.
public struct PayloadError: Error, CustomStringConvertible {
    /// The znode, when decoding.
    public let path: String?
    public let type: String
    public let reason: String

    public var description: String {
        if let path {
            return "\(path) does not hold a valid \(type): \(reason); repair or delete the znode"
        }
        return "cannot encode \(type): \(reason); nothing was written"
    }
}
