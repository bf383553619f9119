import Dashboard
import Foundation
import HTTPTypes
import Hummingbird
import ManagerAPI
import NIOCore

extension ManagerRoutes {
    /// One row change as a live page receives it.
    struct RowDelta: Encodable {
        var key: String
        var list: String?
        var html: String?
        var removed: Bool?
    }

    struct RowEvent: Encodable { var rows: [RowDelta] }

    static var rowEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    /// `GET /ui/events?watch=PREFIX,…&after=EPOCH-SEQ`: Server-Sent Events, one `rows` event per
    /// burst of changes with only the rows under `watch` that changed (as this viewer sees
    /// them). A reconnect (`Last-Event-ID`) resumes after the last event it got; an id from
    /// another manager or older than what is kept gets `reset` (the page reloads).
    func uiEvents(_ request: Request, _ viewing: Viewing) async throws -> Response {
        let watch = try Self.watchPrefixes(request.uri.queryParameters["watch"].map(String.init) ?? "")
        let resume =
            request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["after"].map(String.init)
        let hub = dashboard
        var start: Int? = hub.store.seq
        if let resume {
            let parts = resume.split(separator: "-")
            guard parts.count == 2, let seq = Int(parts[1]), seq >= 0 else {
                throw Problem(
                    .badRequest,
                    "Last-Event-ID must be an id this stream sent (EPOCH-SEQ), not \(resume.prefix(64))"
                )
            }
            start = String(parts[0]) == hub.epoch ? seq : nil
        }
        let first = start
        let viewer = viewing.viewer
        let prefixes = watch + ["zk"]
        let updates = hub.subscribe()
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-cache",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: ResponseBody { writer in
                guard var last = first else {
                    try await writer.write(ByteBuffer(string: "event: reset\ndata: {}\n\n"))
                    try await writer.finish(nil)
                    return
                }
                // The client reconnects 1 s after a drop.
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                let (ticks, tick) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(4))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await _ in updates { tick.yield(true) }
                        tick.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: .seconds(15))
                            tick.yield(false)
                        }
                    }
                    tick.yield(true)  // what changed between the page's render and now
                    for await changed in ticks {
                        guard changed else {
                            // A session that ended (logged out, revoked, expired) ends its streams.
                            if let auth, let token = viewing.token,
                                (try? await auth.authenticate(authorization: "Bearer " + token)) == nil
                            {
                                try await writer.write(ByteBuffer(string: "event: reset\ndata: {}\n\n"))
                                break
                            }
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            continue
                        }
                        guard let (rows, seq) = hub.store.changes(after: last, prefixes: prefixes) else {
                            try await writer.write(ByteBuffer(string: "event: reset\ndata: {}\n\n"))
                            break
                        }
                        last = seq
                        guard !rows.isEmpty else { continue }
                        let event = RowEvent(
                            rows: rows.map { key, row in
                                guard let row else { return RowDelta(key: key, removed: true) }
                                return RowDelta(key: key, list: row.list, html: row.rendered(for: viewer))
                            }
                        )
                        let data = String(decoding: try Self.rowEncoder.encode(event), as: UTF8.self)
                        try await writer.write(
                            ByteBuffer(string: "id: \(hub.epoch)-\(seq)\nevent: rows\ndata: \(data)\n\n")
                        )
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            }
        )
    }

    /// `env/,inst/shop/prod/` → the prefixes, each a path of names (at most 16).
    static func watchPrefixes(_ text: String) throws -> [String] {
        let parts = text.split(separator: ",").map(String.init)
        guard parts.count <= 16 else { throw Problem(.badRequest, "watch: at most 16 prefixes") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-./".unicodeScalars)
        for part in parts
        where part.count > 300 || part.contains("..") || !part.unicodeScalars.allSatisfy(allowed.contains) {
            throw Problem(.badRequest, "watch: \"\(part.prefix(64))\" is not a row prefix (lower-case names and '/')")
        }
        return parts
    }
}
