public import AsyncHTTPClient
import Foundation
public import Logging
public import NIOCore
import NIOHTTP1

/// The Docker Engine API (v1.41) over its unix socket, on AsyncHTTPClient. Every request names
/// the API version in its path, so an Engine that is newer answers as 1.41 does.
public struct DockerClient: Sendable {
    public let socketPath: String
    public let apiVersion: String
    public let requestTimeout: TimeAmount
    let http: HTTPClient
    let logger: Logger

    /// `http` must be `.http1Only`; `shutdown()` is the owner's job.
    public init(
        socketPath: String = "/var/run/docker.sock",
        apiVersion: String = "v1.41",
        requestTimeout: TimeAmount = .seconds(30),
        http: HTTPClient,
        logger: Logger = Logger(label: "atlantis.docker")
    ) {
        self.socketPath = socketPath
        self.apiVersion = apiVersion
        self.requestTimeout = requestTimeout
        self.http = http
        self.logger = logger
    }

    /// An HTTP/1.1 client suited to the Engine: no read timeout (event streams stay open).
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func ping() async throws(DockerError) {
        _ = try await send(.GET, "/_ping", operation: "ping")
    }

    struct Reply {
        var status: Int
        var body: ByteBuffer
    }

    func url(_ path: String, query: [(String, String)] = []) -> String {
        var components = URLComponents()
        components.path = "/\(apiVersion)\(path)"
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // The socket path is the URL's host, percent-encoded.
        let host = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath
        let encoded =
            (components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? "")
        return "http+unix://\(host)\(encoded)"
    }

    func request(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        json: (some Encodable)? = Optional<Int>.none
    ) throws(DockerError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(path, query: query))
        request.method = method
        request.headers.add(name: "Host", value: "docker")
        if let json {
            do {
                let data = try JSONEncoder().encode(json)
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: data))
            } catch {
                throw DockerError(
                    code: .badResponse,
                    operation: "\(method) \(path)",
                    message: "cannot encode the request: \(error)"
                )
            }
        }
        return request
    }

    /// Sends one request and collects its body (up to `limit`); non-2xx statuses become errors
    /// with the Engine's message, except those listed in `accept`.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        json: (some Encodable)? = Optional<Int>.none,
        operation: String,
        accept: Set<Int> = [],
        limit: Int = 16 << 20,
        timeout: TimeAmount? = nil
    ) async throws(DockerError) -> Reply {
        let request = try request(method, path, query: query, json: json)
        let reply: Reply
        do {
            let response = try await http.execute(request, timeout: timeout ?? requestTimeout)
            let body = try await response.body.collect(upTo: limit)
            reply = Reply(status: Int(response.status.code), body: body)
        } catch {
            throw DockerError(
                code: .unreachable,
                operation: operation,
                message: "the Engine at \(socketPath) did not answer: \(error)"
            )
        }
        if (200..<300).contains(reply.status) || accept.contains(reply.status) { return reply }
        throw Self.error(status: reply.status, body: reply.body, operation: operation)
    }

    static func error(status: Int, body: ByteBuffer, operation: String) -> DockerError {
        struct Message: Decodable { var message: String }
        let text = String(buffer: body)
        let message =
            (try? JSONDecoder().decode(Message.self, from: Data(text.utf8)).message)
            ?? text.trimmingCharacters(in: .whitespacesAndNewlines)
        let code: DockerError.Code =
            switch status {
            case 404: .notFound
            case 409: .conflict
            default: .refused
            }
        return DockerError(code: code, status: status, operation: operation, message: message)
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply, operation: String) throws(DockerError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(reply.body.readableBytesView))
        } catch {
            throw DockerError(
                code: .badResponse,
                status: reply.status,
                operation: operation,
                message: "unexpected answer: \(error)"
            )
        }
    }
}
