import Crypto
import Dashboard
import Foundation
import Hummingbird
import Manager
import ManagerAPI
import ZKModel

/// The dashboard's login: the session token (the same token `atlantis login` gets) in a
/// cookie that scripts cannot read (HttpOnly) and other sites do not send (SameSite=Strict);
/// every form carries a CSRF token derived from the session, so a form posted from elsewhere
/// is refused even by a browser that would send the cookie.
enum DashboardSession {
    static let cookie = "atlantis_session"

    /// The session token a request's `Cookie` header carries.
    static func token(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                guard pair.hasPrefix(cookie + "=") else { continue }
                let value = String(pair.dropFirst(cookie.count + 1))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    static func setCookie(_ token: String, maxAge: Int) -> String {
        "\(cookie)=\(token); Path=/ui; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
    }

    static let clearCookie = "\(cookie)=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"

    /// Without a directory, forms are tied to this process (a random key) instead of a session.
    static let anonymousKey: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }

    /// The CSRF token of a session (of no session: of this process).
    static func csrf(token: String?) -> String {
        let key =
            token.map { SymmetricKey(data: SHA256.hash(data: Data(("atlantis-csrf:" + $0).utf8))) }
            ?? SymmetricKey(data: anonymousKey)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("dashboard-form".utf8), using: key)
        return mac.map { String(format: "%02x", $0) }.joined().prefix(32).description
    }

    /// Whether a form's token is the session's (compared in constant time).
    static func checks(_ given: String?, token: String?) -> Bool {
        guard let given else { return false }
        let expected = Array(csrf(token: token).utf8)
        let bytes = Array(given.utf8)
        guard bytes.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(bytes, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// A form body (`application/x-www-form-urlencoded`), at most `limit` bytes.
    static func form(_ request: Request, limit: Int = 8 * 1024) async throws -> [String: String] {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            throw Problem(.unsupportedMediaType, "send the form as application/x-www-form-urlencoded")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw Problem(.tooLarge, "a dashboard form is at most \(limit) bytes")
        }
        var out: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    /// The teams `principal` may change apps of (nil: all).
    static func teams(of principal: Principal?, model: ClusterModel) -> Set<String>? {
        guard let principal else { return nil }
        if principal.admin { return nil }
        return Set(model.teams.filter { principal.isMember(ofTeam: $0.key, spec: $0.value) }.map(\.key))
    }
}
