import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import ZKModel
import ZooKeeper

/// A browser's side of the dashboard, over plain HTTP: a session cookie, forms, and the event
/// stream read as it comes.
struct Browser {
    let url: String
    var cookie: String?

    struct Page {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        /// The CSRF token the page's forms carry.
        var csrf: String? { Self.attribute(body, after: "name=\"csrf\" value=\"") }
        /// The row store position the page was rendered at (`data-after`).
        var after: String? { Self.attribute(body, after: "data-after=\"") }

        static func attribute(_ body: String, after marker: String) -> String? {
            guard let start = body.range(of: marker) else { return nil }
            let rest = body[start.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Page {
        try await send(.GET, path, headers: headers)
    }

    func post(_ path: String, form: [String: String]) async throws -> Page {
        let body = form.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        return try await send(
            .POST,
            path,
            body: body,
            headers: [("Content-Type", "application/x-www-form-urlencoded")]
        )
    }

    func send(
        _ method: HTTPMethod,
        _ path: String,
        body: String? = nil,
        headers: [(String, String)] = []
    ) async throws
        -> Page
    {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        // HTTPClient.shared follows redirects; a browser's 303 is checked here as it is.
        let response = try await Self.http.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 32 << 20)
        return Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Logs in through the form; the session cookie is kept.
    static func login(
        _ url: String,
        user: String,
        password: String? = nil,
        next: String = "/ui"
    ) async throws -> (Browser, Page) {
        var browser = Browser(url: url)
        let page = try await browser.post(
            "/ui/login",
            form: ["user": user, "password": password ?? "\(user)-pw", "next": next]
        )
        if let set = page.headers["Set-Cookie"].first, let pair = set.split(separator: ";").first {
            browser.cookie = String(pair)
        }
        return (browser, page)
    }

    struct Event: Sendable {
        var id: String?
        var name: String?
        var data: String
    }

    /// Reads `/ui/events` until `enough` says so or `timeout` passes: the events read.
    func events(
        watch: String,
        after: String?,
        lastEventID: String? = nil,
        timeout: Duration = .seconds(5),
        until enough: @escaping @Sendable ([Event]) -> Bool
    ) async throws -> (status: Int, events: [Event]) {
        var request = HTTPClientRequest(
            url: url + "/ui/events?watch=\(watch)" + (after.map { "&after=\($0)" } ?? "")
        )
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await Self.http.execute(request, deadline: .distantFuture)
        guard response.status == .ok else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), [])
        }
        let collected = Collected()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var pending = ""
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = pending[..<end.lowerBound]
                        pending = String(pending[end.upperBound...])
                        var event = Event(data: "")
                        var hasData = false
                        for line in block.split(separator: "\n") {
                            if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                            if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                            if line.hasPrefix("data: ") {
                                event.data += String(line.dropFirst(6))
                                hasData = true
                            }
                        }
                        if hasData, enough(collected.append(event)) { return }
                    }
                }
            }
            group.addTask { try await Task.sleep(for: timeout) }
            defer { group.cancelAll() }
            try await group.next()
        }
        let events = collected.all
        return (200, events)
    }
}

/// Events read so far (what a timed-out read returns).
final class Collected: Sendable {
    private let events = Mutex<[Browser.Event]>([])
    func append(_ event: Browser.Event) -> [Browser.Event] {
        events.withLock {
            $0.append(event)
            return $0
        }
    }
    var all: [Browser.Event] { events.withLock { $0 } }
}

extension InstanceStatus {
    /// A report as a supervisor would write it (not confirmed by a live registration).
    static func fake(app: String = "shop", env: String = "prod", zone: String, port: Int) -> InstanceStatus {
        var status = InstanceStatus(app: app, environment: env, host: "127.0.0.1", port: port, healthy: true)
        status.zone = zone
        status.state = .running
        status.supervisor = "host-\(zone)"
        return status
    }
}
