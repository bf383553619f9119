import Foundation
import HTTPTypes
import Hummingbird
import ManagerAPI
import NIOCore

extension ManagerRoutes {
    /// `GET /v1/deploys/{name}/events`: Server-Sent Events until the client goes away.
    func events(_ request: Request, deploy text: String) async throws -> Response {
        let deploy = try name(text, of: "deploy")
        _ = try await target(deploy)
        let header =
            request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["since"].map(String.init)
        var after: Int64?
        if let header {
            guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw Problem(
                    .badRequest,
                    "Last-Event-ID must be an event id this stream sent (a number), not \(header)"
                )
            }
            after = id
        }
        let source = DeployEventSource(zk: zk, tree: tree, watcher: watcher, deploy: deploy)
        let resume = after
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                try await source.run(after: resume) { event in
                    try await writer.write(ByteBuffer(string: Self.frame(event)))
                }
                try await writer.finish(nil)
            }
        )
    }

    /// One event in the text/event-stream framing; nil: a keep-alive comment.
    static func frame(_ event: DeployEvent?) -> String {
        guard let event else { return ": keep-alive\n\n" }
        let data = (try? Reply.encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }
}
