import AsyncHTTPClient
import Foundation
public import ManagerAPI
public import NIOCore
import NIOHTTP1

extension ManagerClient {
    /// Follows `GET /v1/deploys/{deploy}/events`, handing every event to `onEvent` until it
    /// returns false. A dropped stream is resumed from the last event's id (`Last-Event-ID`),
    /// so nothing is missed; the manager being unreachable for longer than `reconnectFor` throws.
    public func follow(
        deploy: String,
        after lastEventID: Int64? = nil,
        reconnectFor: Duration = .seconds(30),
        onEvent: (DeployEvent) async throws -> Bool
    ) async throws {
        var last = lastEventID
        var failingSince: ContinuousClock.Instant?
        while true {
            var request = HTTPClientRequest(url: baseURL + "/v1/deploys/\(Self.segment(deploy))/events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let last { request.headers.add(name: "Last-Event-ID", value: String(last)) }
            do {
                let response = try await http.execute(request, timeout: .hours(24))
                guard response.status == .ok else {
                    let body = try await response.body.collect(upTo: 1024 * 1024)
                    throw Self.problem(status: Int(response.status.code), data: Data(body.readableBytesView))
                }
                failingSince = nil
                var parser = EventStreamParser()
                for try await chunk in response.body {
                    for frame in parser.feed(chunk) {
                        guard let data = frame.data.data(using: .utf8),
                            let event = try? JSONDecoder().decode(DeployEvent.self, from: data)
                        else { continue }
                        last = event.id
                        if try await !onEvent(event) { return }
                    }
                }
            } catch let problem as Problem {
                throw problem
            } catch {
                let since = failingSince ?? .now
                failingSince = since
                if ContinuousClock.now - since > reconnectFor {
                    throw Problem(
                        .unreachable,
                        "the event stream from \(baseURL) broke and could not be resumed: \(error)"
                    )
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// Splits a text/event-stream body into frames (`id`, `event`, `data` lines, a blank line ends one).
public struct EventStreamParser: Sendable {
    public struct Frame: Sendable, Hashable {
        public var id: String?
        public var event: String?
        public var data: String
    }

    var pending = ""
    var current = Frame(id: nil, event: nil, data: "")
    var hasData = false

    public init() {}

    public mutating func feed(_ buffer: ByteBuffer) -> [Frame] {
        pending += String(buffer: buffer)
        var out: [Frame] = []
        while let newline = pending.firstIndex(of: "\n") {
            let line = String(pending[..<newline]).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            pending = String(pending[pending.index(after: newline)...])
            if line.isEmpty {
                if hasData { out.append(current) }
                current = Frame(id: nil, event: nil, data: "")
                hasData = false
                continue
            }
            if line.hasPrefix(":") { continue }
            let (field, value) = Self.split(line)
            switch field {
            case "id": current.id = value
            case "event": current.event = value
            case "data":
                current.data += hasData ? "\n" + value : value
                hasData = true
            default: break
            }
        }
        return out
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = String(line[line.index(after: colon)...])
        if value.hasPrefix(" ") { value.removeFirst() }
        return (String(line[..<colon]), value)
    }
}
