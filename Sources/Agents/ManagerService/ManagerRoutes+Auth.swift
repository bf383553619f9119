import Foundation
import Hummingbird
import LDAP
import Logging
import Manager
import ManagerAPI
import NIOCore
import ZKModel

extension ManagerRoutes {
    /// Routes anyone may call: probes, the API's description, and logging in.
    static let publicRoutes: Set<String> = [
        "GET /healthz", "GET /metrics", "GET /v1/openapi.json", "POST /v1/login",
    ]

    /// Query parameters that look like credentials: refused (a URL ends up in logs and history).
    static let credentialParameters: Set<String> = ["access_token", "token", "auth", "password", "apikey", "api_key"]

    /// Who calls, checked before the handler runs: nil for a public route or a manager without
    /// a directory. Credentials in the query string are refused either way.
    func authenticate(_ request: Request, template: APIRoute) async throws -> (Authenticated?, Principal?) {
        for (name, _) in request.uri.queryParameters
        where Self.credentialParameters.contains(String(name).lowercased()) {
            throw Problem(
                .badRequest,
                "credentials travel only in the Authorization header, never in the URL (query parameter \"\(name)\"); nothing was done"
            )
        }
        guard let auth, !Self.publicRoutes.contains(template.description) else { return (nil, nil) }
        guard let authenticated = try await auth.authenticate(authorization: request.headers[.authorization]) else {
            throw Problem(
                .unauthorized,
                "this manager needs a token: log in with `atlantis login` (or send `Authorization: Bearer <token>`)"
            )
        }
        // Logging out asks nothing of the directory (it may be down).
        let writes = template.method != "GET" && template.description != "POST /v1/logout"
        return (authenticated, try await auth.principal(authenticated, forWrite: writes))
    }

    var requireDirectory: Authenticator {
        get throws {
            guard let auth else {
                throw Problem(
                    .notFound,
                    "this manager runs without a directory (atlantis manager --ldap-config): there are no users or tokens"
                )
            }
            return auth
        }
    }

    /// `POST /v1/login` with `Authorization: Basic base64(user:password)`.
    func login(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let auth = try requireDirectory
        guard let header = request.headers[.authorization], header.prefix(6).lowercased() == "basic ",
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else {
            throw Problem(
                .unauthorized,
                "send the user name and password as `Authorization: Basic base64(user:password)` (`atlantis login`)"
            )
        }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        let address = context.remoteAddress?.ipAddress ?? "-"
        let result = try await auth.login(user: user, password: password, address: address)
        accessLog.info("manager.login", metadata: ["user": "\(result.identity.name)", "address": "\(address)"])
        return try Reply.json(result)
    }

    /// `POST /v1/logout`: revokes the token it is called with.
    func logout() async throws -> Response {
        let auth = try requireDirectory
        guard let current = Authenticated.current else { throw Problem(.unauthorized, "no token to log out") }
        try await read { try await auth.tokens.revoke(hash: current.hash) }
        return try Reply.json(["revoked": String(current.hash.prefix(12))])
    }

    func whoami() async throws -> Response {
        let auth = try requireDirectory
        guard let current = Authenticated.current else { throw Problem(.unauthorized, "not logged in") }
        return try Reply.json(try await auth.identity(current))
    }

    /// `POST /v1/tokens`: a machine token for a team the caller (a person) belongs to.
    func createToken(_ request: Request) async throws -> Response {
        let auth = try requireDirectory
        guard let principal = WriteAccess.current, principal.subject == .user else {
            throw Problem(.forbidden, "a machine token cannot create tokens; a team member logs in and creates one")
        }
        let body = try await RequestBody.read(request, limit: 16 * 1024, maxNesting: 4).json()
            .decode(TokenRequest.self, allowed: TokenRequest.fields)
        let name = try self.name(body.name, of: "token name")
        let team = try self.name(body.team, of: "team")
        let ttl = try Self.ttl(body.ttl)
        if let verbs = body.verbs {
            let unknown = Set(verbs).subtracting(TokenRecord.verbs)
            guard unknown.isEmpty, !verbs.isEmpty else {
                throw Problem(
                    .badRequest,
                    "verbs: \(unknown.sorted().joined(separator: ", ")) unknown; use some of \(TokenRecord.verbs.sorted().joined(separator: ", "))"
                )
            }
        }
        let teamDocument = try await run { () async throws(ManagerError) in
            try await manager.get(.team, name: team).first
        }
        guard let teamDocument else { throw Problem(.notFound, "Team \"\(team)\" does not exist") }
        guard principal.admin || principal.isMember(ofTeam: team, team: teamDocument.document) else {
            await manager.recordDenial(principal, verb: "token", apps: [], reason: "not a member of team \(team)")
            throw Problem(
                .forbidden,
                "\(principal.name) is not a member of team \(team): only its members make its tokens"
            )
        }
        if let app = body.app {
            let stored = try await run { () async throws(ManagerError) in try await manager.get(.app, name: app).first }
            guard let stored, stored.document.spec["team"]?.stringValue == team else {
                throw Problem(.badRequest, "App \"\(app)\" does not exist or does not belong to team \(team)")
            }
        }
        let now = Date().timeIntervalSince1970
        let record = TokenRecord(
            subject: .machine,
            name: name,
            team: team,
            app: body.app,
            verbs: body.verbs.map { Array(Set($0)).sorted() },
            createdBy: principal.name,
            created: now,
            expires: now + ttl
        )
        let (token, hash) = try await read { try await auth.tokens.issue(record) }
        return try Reply.json(IssuedToken(token: token, info: Self.info(hash, record)), status: .created)
    }

    /// `GET /v1/tokens`: the machine tokens of the caller's teams (all, for an admin).
    func listTokens() async throws -> Response {
        let auth = try requireDirectory
        guard let current = Authenticated.current else { throw Problem(.unauthorized, "not logged in") }
        let principal = try await auth.principal(current, forWrite: true)
        let teams = try await run { () async throws(ManagerError) in try await manager.get(.team) }
        let all = try await read { try await auth.tokens.all() }
        let visible = all.filter { entry in
            guard entry.record.subject == .machine, let team = entry.record.team else { return false }
            if principal.admin { return true }
            let document = teams.first { $0.document.name == team }?.document
            return principal.isMember(ofTeam: team, team: document)
        }
        return try Reply.json(TokenList(items: visible.map { Self.info($0.hash, $0.record) }))
    }

    /// `DELETE /v1/tokens/{id}`: revokes a machine token of one of the caller's teams, or a
    /// session of the caller's own (any, for an admin).
    func revokeToken(_ id: String) async throws -> Response {
        let auth = try requireDirectory
        guard let current = Authenticated.current else { throw Problem(.unauthorized, "not logged in") }
        let principal = try await auth.principal(current, forWrite: true)
        guard id.count >= 8, id.count <= 64, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw Problem(.badRequest, "a token id is 8 to 64 lowercase hex digits, as `atlantis token list` shows")
        }
        let matches = try await read { try await auth.tokens.all() }.filter { $0.hash.hasPrefix(id) }
        guard let match = matches.first else { throw Problem(.notFound, "no token \(id)") }
        guard matches.count == 1 else {
            throw Problem(.badRequest, "\(id) names \(matches.count) tokens: give more digits")
        }
        let allowed: Bool
        switch match.record.subject {
        case .user:
            allowed = principal.admin || (principal.subject == .user && principal.name == match.record.name)
        case .machine:
            let team = match.record.team ?? ""
            let document = try await run { () async throws(ManagerError) in
                try await manager.get(.team, name: team).first
            }
            allowed = principal.admin || principal.isMember(ofTeam: team, team: document?.document)
        }
        guard allowed else {
            await manager.recordDenial(principal, verb: "revoke", apps: [], reason: "token \(id) is not theirs")
            throw Problem(.forbidden, "\(principal.name) may not revoke token \(id): it belongs to another team")
        }
        try await read { try await auth.tokens.revoke(hash: match.hash) }
        return try Reply.json(["revoked": String(match.hash.prefix(12))])
    }

    static func info(_ hash: String, _ record: TokenRecord) -> TokenInfo {
        TokenInfo(
            id: String(hash.prefix(12)),
            name: record.name,
            team: record.team ?? "",
            app: record.app,
            verbs: record.verbs,
            createdBy: record.createdBy,
            created: Authenticator.time(record.created),
            expires: Authenticator.time(record.expires)
        )
    }

    /// `90d`, `12h`, `30m`, `3600s` → seconds; at most 365 days.
    static func ttl(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count > 0,
            count * unit <= 365 * 86400
        else {
            throw Problem(.badRequest, "ttl \"\(text)\": give a duration like 90d, 12h or 30m, at most 365d")
        }
        return count * unit
    }
}
