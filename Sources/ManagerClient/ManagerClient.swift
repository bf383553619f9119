public import AsyncHTTPClient
import Foundation
public import ManagerAPI
import NIOCore
public import NIOHTTP1
public import ZKModel

/// The manager's API as the CLI (and any Swift program) calls it. Every failure is a `Problem`:
/// what the manager answered, or `.unreachable` when it could not be asked.
public struct ManagerClient: Sendable {
    public let baseURL: String
    let http: HTTPClient
    public var timeout: Duration
    /// Sent as `Authorization: Bearer …` when set (tokens come with users and teams).
    public var token: String?

    public init(baseURL: String, http: HTTPClient = .shared, timeout: Duration = .seconds(60), token: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
        self.timeout = timeout
        self.token = token
    }

    /// The CLI's HTTP client: a manager that is not there is an error at once (connection
    /// refused), not a connection retried until the request's deadline.
    public static let failFast: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Percent-encodes one path segment.
    public static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }

    /// Sends a request and decodes the answer; non-2xx answers throw their problem.
    public func send<T: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: (some Encodable)? = Optional<Int>.none,
        headers: [(String, String)] = [],
        as type: T.Type
    ) async throws -> (value: T, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            let data = try Self.encoder.encode(body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(
                request,
                timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
            )
            bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch {
            throw Problem(
                .unreachable,
                "the manager at \(baseURL) is unreachable (\(error)); is it running? (--manager, $ATLANTIS_MANAGER, `atlantis config use-context`)"
            )
        }
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Self.problem(status: Int(response.status.code), data: data)
        }
        do {
            return (try JSONDecoder().decode(T.self, from: data), response.headers)
        } catch {
            throw Problem(.internal, "the manager's answer to \(method) \(path) cannot be read: \(error)")
        }
    }

    static func problem(status: Int, data: Data) -> Problem {
        if let problem = try? JSONDecoder().decode(Problem.self, from: data) { return problem }
        let code = Problem.Code.allCases.first { $0.status == status } ?? .internal
        return Problem(code, "the manager answered \(status): \(String(decoding: data.prefix(500), as: UTF8.self))")
    }

    // MARK: The API

    public func apply(_ request: ApplyRequest, diff: Bool = false) async throws -> ApplyResult {
        try await send(.POST, diff ? "/v1/diff" : "/v1/apply", body: request, as: ApplyResult.self).value
    }

    public func list(_ kind: Kind, status: Bool = false) async throws -> [StoredItem] {
        try await send(.GET, "/v1/\(kind.plural)\(status ? "?status=true" : "")", as: StoredList.self).value.items
    }

    public func get(_ kind: Kind, _ name: String, status: Bool = false) async throws -> StoredItem {
        try await send(
            .GET,
            "/v1/\(kind.plural)/\(Self.segment(name))\(status ? "?status=true" : "")",
            as: StoredItem.self
        ).value
    }

    public func delete(_ kind: Kind, _ name: String, ifVersion: Int32? = nil) async throws -> ApplyResult {
        try await send(
            .DELETE,
            "/v1/\(kind.plural)/\(Self.segment(name))",
            headers: ifVersion.map { [("If-Match", "\"\($0)\"")] } ?? [],
            as: ApplyResult.self
        ).value
    }

    private func environment(_ app: String, _ env: String) -> String {
        "/v1/apps/\(Self.segment(app))/environments/\(Self.segment(env))"
    }

    public func deploy(app: String, environment env: String, _ request: DeployRequest) async throws -> DeployResult {
        try await send(.POST, environment(app, env) + "/deploy", body: request, as: DeployResult.self).value
    }

    public func scale(app: String, environment env: String, _ request: ScaleRequest) async throws -> DeployResult {
        try await send(.POST, environment(app, env) + "/scale", body: request, as: DeployResult.self).value
    }

    public func teardown(app: String, environment env: String) async throws -> ApplyResult {
        try await send(.DELETE, environment(app, env), as: ApplyResult.self).value
    }

    public func rollout(_ deploy: String) async throws -> RolloutState {
        try await send(.GET, "/v1/deploys/\(Self.segment(deploy))/rollout", as: RolloutState.self).value
    }

    public func releases(_ deploy: String) async throws -> ReleaseHistory {
        try await send(.GET, "/v1/deploys/\(Self.segment(deploy))/releases", as: ReleaseHistory.self).value
    }

    public func undo(_ deploy: String, _ request: UndoRequest) async throws -> DeployResult {
        try await send(.POST, "/v1/deploys/\(Self.segment(deploy))/undo", body: request, as: DeployResult.self).value
    }

    public func instances(
        app: String? = nil,
        environment env: String? = nil,
        deploy: String? = nil
    ) async throws
        -> InstanceList
    {
        var query: [String] = []
        if let app { query.append("app=\(Self.segment(app))") }
        if let env { query.append("env=\(Self.segment(env))") }
        if let deploy { query.append("deploy=\(Self.segment(deploy))") }
        return try await send(
            .GET,
            "/v1/instances" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
            as: InstanceList.self
        ).value
    }
}

extension ManagerClient {
    public func audit(app: String? = nil, since: String? = nil, limit: Int? = nil) async throws -> AuditList {
        var query: [String] = []
        if let app { query.append("app=\(Self.segment(app))") }
        if let since { query.append("since=\(Self.segment(since))") }
        if let limit { query.append("limit=\(limit)") }
        return try await send(
            .GET,
            "/v1/audit" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
            as: AuditList.self
        ).value
    }
}

extension ManagerClient {
    public func report(_ status: GitOpsStatus) async throws {
        _ = try await send(.PUT, "/v1/gitops/\(Self.segment(status.name))", body: status, as: GitOpsStatus.self)
    }

    public func gitOps() async throws -> [GitOpsStatus] {
        try await send(.GET, "/v1/gitops", as: GitOpsList.self).value.items
    }

    public func gitOps(_ name: String) async throws -> GitOpsStatus {
        try await send(.GET, "/v1/gitops/\(Self.segment(name))", as: GitOpsStatus.self).value
    }
}
