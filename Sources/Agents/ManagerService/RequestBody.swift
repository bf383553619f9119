import Foundation
import Hummingbird
import Manager
import ManagerAPI
import NIOCore
import ZKModel

/// A request body, read within the limits: its size (413 before anything is read when the
/// length is declared), its media type (415), its nesting (400), and strict JSON (400).
struct RequestBody {
    enum Media { case json, yaml }

    let media: Media
    let text: String

    static func read(
        _ request: Request,
        limit: Int,
        maxNesting: Int,
        yaml: Bool = false
    ) async throws -> RequestBody {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw Problem(.tooLarge, "the body is \(declared) bytes; at most \(limit) are accepted")
        }
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        let media: Media
        switch type {
        case "application/json": media = .json
        case "application/yaml", "application/x-yaml",
            "text/yaml" where yaml:
            media = .yaml
        default:
            throw Problem(
                .unsupportedMediaType,
                "the body must be application/json\(yaml ? " or application/yaml" : ""), not \(type.map { "\"\($0)\"" } ?? "untyped")"
            )
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw Problem(.tooLarge, "the body is above \(limit) bytes, the most accepted")
        }
        guard let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes),
            text.utf8.count == buffer.readableBytes
        else {
            throw Problem(.badRequest, "the body is not UTF-8")
        }
        let depth = Self.nesting(text, quoted: media == .json)
        if depth > maxNesting {
            throw Problem(.badRequest, "the body nests \(depth) levels deep; at most \(maxNesting) are accepted")
        }
        return RequestBody(media: media, text: text)
    }

    /// The body as JSON (400 naming the fault when it is not).
    func json() throws -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw Problem(.badRequest, "the body is not valid JSON: \(Self.reason(error))")
        }
    }

    /// The body as manifests: JSON (one document or an array) or YAML documents.
    func documents() throws -> [LoadedDocument] {
        do {
            return try ManifestLoader().parse(text, file: media == .json ? "request.json" : "request.yaml")
        } catch {
            throw Problem(
                .badRequest,
                "the body cannot be read as \(media == .json ? "JSON" : "YAML"): \(error.errors.map(\.reason).joined(separator: "; "))"
            )
        }
    }

    /// Deepest bracket nesting, ignoring brackets inside JSON strings.
    static func nesting(_ text: String, quoted: Bool) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = quoted
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

extension JSONValue {
    /// Decodes a request type from a value whose fields were checked.
    func decode<T: Decodable>(_ type: T.Type, allowed: Set<String>) throws -> T {
        guard case .object = self else { throw Problem(.badRequest, "the body must be a JSON object") }
        if let field = StrictFields.unknown(in: self, allowed: allowed) {
            throw Problem(
                .badRequest,
                "unknown field \"\(field)\" (known: \(allowed.sorted().joined(separator: ", ")))"
            )
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(encoded().utf8))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw Problem(.badRequest, "field \"\(Self.path(context.codingPath))\": \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = Self.path(context.codingPath + [key])
            throw Problem(.badRequest, "field \"\(path)\" is required")
        } catch {
            throw Problem(.badRequest, "the body cannot be read: \(error)")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            .trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}
