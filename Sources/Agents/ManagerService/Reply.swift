import Foundation
import Hummingbird
import ManagerAPI
import NIOCore

/// JSON responses and problem details.
enum Reply {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, etag: Int32? = nil) throws -> Response
    {
        let data = try encoder.encode(value)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let etag { headers[.eTag] = "\"\(etag)\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(bytes: [UInt8], etag: Int32) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .eTag: "\"\(etag)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    static func problem(_ problem: Problem) -> Response {
        let data = (try? encoder.encode(problem)) ?? Data(#"{"title":"Internal error","status":500}"#.utf8)
        return Response(
            status: HTTPResponse.Status(code: problem.status),
            headers: [.contentType: Problem.mediaType],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
