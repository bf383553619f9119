import Foundation
public import ManagerAPI
import NIOHTTP1

extension ManagerClient {
    /// Logs in with the user's password (sent once, in `Authorization: Basic`); the answer holds
    /// the session token to keep.
    public func login(user: String, password: String) async throws -> LoginResult {
        var client = self
        client.token = nil
        let basic = Data("\(user):\(password)".utf8).base64EncodedString()
        return try await client.send(
            .POST,
            "/v1/login",
            headers: [("Authorization", "Basic \(basic)")],
            as: LoginResult.self
        ).value
    }

    /// Revokes this client's token.
    public func logout() async throws {
        _ = try await send(.POST, "/v1/logout", as: [String: String].self)
    }

    public func whoami() async throws -> Identity {
        try await send(.GET, "/v1/whoami", as: Identity.self).value
    }

    public func createToken(_ request: TokenRequest) async throws -> IssuedToken {
        try await send(.POST, "/v1/tokens", body: request, as: IssuedToken.self).value
    }

    public func tokens() async throws -> [TokenInfo] {
        try await send(.GET, "/v1/tokens", as: TokenList.self).value.items
    }

    public func revokeToken(_ id: String) async throws {
        _ = try await send(.DELETE, "/v1/tokens/\(Self.segment(id))", as: [String: String].self)
    }
}

extension ManagerClient {
    private func secretsPath(_ app: String, _ env: String) -> String {
        "/v1/apps/\(Self.segment(app))/environments/\(Self.segment(env))/secrets"
    }

    public func secrets(app: String, environment env: String) async throws -> SecretsInfo {
        try await send(.GET, secretsPath(app, env), as: SecretsInfo.self).value
    }

    public func changeSecrets(
        app: String,
        environment env: String,
        _ request: SecretsRequest
    ) async throws
        -> SecretsInfo
    {
        try await send(.PUT, secretsPath(app, env), body: request, as: SecretsInfo.self).value
    }
}

/// `GET /healthz`: whether the manager reaches ZooKeeper, and which tree and region it serves.
public struct ManagerHealth: Codable, Sendable, Hashable {
    public var zookeeper: String
    public var root: String
    public var region: String?
}

extension ManagerClient {
    /// The manager's health; a manager that cannot reach ZooKeeper answers 503, which is a problem.
    public func health() async throws -> ManagerHealth {
        try await send(.GET, "/healthz", as: ManagerHealth.self).value
    }
}
