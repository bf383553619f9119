import Foundation
public import LDAP
public import Manager
public import ManagerAPI
import Synchronization
public import ZKModel

/// A token that checked out: what it stands for and its hash (its name in ZooKeeper).
public struct Authenticated: Sendable {
    public var record: TokenRecord
    public var hash: String

    /// The request's, while a handler serves it.
    @TaskLocal static var current: Authenticated?
}

/// Users and tokens: logs a user in against the directory (a bind as them, on a fresh handle),
/// issues and checks tokens, and resolves who may write, re-reading a user's teams from the
/// directory once `membershipTTL` has passed. When the directory cannot be asked, writes are
/// refused (503), never let through.
public final class Authenticator: Sendable {
    public struct Configuration: Sendable {
        public var directory: DirectoryConfiguration
        /// How long a login's token lasts (seconds).
        public var sessionTTL: Double
        /// How long a user's teams are trusted before the directory is asked again (seconds).
        public var membershipTTL: Double
        public var limits: LoginLimiter.Limits

        public init(
            directory: DirectoryConfiguration,
            sessionTTL: Double = 12 * 3600,
            membershipTTL: Double = 10,
            limits: LoginLimiter.Limits = .init()
        ) {
            self.directory = directory
            self.sessionTTL = sessionTTL
            self.membershipTTL = membershipTTL
            self.limits = limits
        }
    }

    public let configuration: Configuration
    public let directory: Directory
    public let tokens: TokenStore
    let limiter: LoginLimiter
    private let memberships = Mutex<[String: (user: DirectoryUser?, at: Double)]>([:])

    public init(_ configuration: Configuration, store: ClusterStore) {
        self.configuration = configuration
        self.directory = Directory(configuration.directory)
        self.tokens = TokenStore(store: store)
        self.limiter = LoginLimiter(configuration.limits)
    }

    static let invalidLogin = "invalid user name or password"

    /// Checks `user`'s password with a bind as them; a session token on success. An unknown
    /// user, a wrong password, a name that could not be a user's and an empty password all get
    /// the same answer.
    public func login(user: String, password: String, address: String) async throws -> LoginResult {
        if let wait = limiter.admit(user: user, address: address) {
            throw Problem(
                .tooManyRequests,
                "too many login attempts; try again in \(Int(wait.rounded(.up))) s"
            )
        }
        let found: DirectoryUser
        do {
            found = try await directory.authenticate(user: user, password: password)
        } catch let error where error.kind == .unavailable {
            throw Problem(.directoryUnavailable, "cannot log in: \(error.description)")
        } catch {
            limiter.failed(user: user)
            throw Problem(.unauthorized, Self.invalidLogin)
        }
        let now = Date().timeIntervalSince1970
        memberships.withLock { $0[found.name] = (found, now) }
        let record = TokenRecord(
            subject: .user,
            name: found.name,
            created: now,
            expires: now + configuration.sessionTTL
        )
        let (token, _) = try await tokens.issue(record)
        return LoginResult(token: token, identity: identity(record, user: found))
    }

    /// The token an `Authorization: Bearer` header carries, if it checks out; nil without one.
    public func authenticate(authorization header: String?) async throws -> Authenticated? {
        guard let header, !header.isEmpty else { return nil }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem(.unauthorized, "send the token as `Authorization: Bearer <token>` (`atlantis login`)")
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let (record, hash) = try await tokens.look(up: token) else {
            throw Problem(
                .unauthorized,
                "the token is not valid (expired, revoked or never issued): log in again with `atlantis login`"
            )
        }
        return Authenticated(record: record, hash: hash)
    }

    /// Who may write, for the authorization of a write: a user's teams from the directory (at
    /// most `membershipTTL` old).
    public func principal(_ authenticated: Authenticated, forWrite: Bool) async throws -> Principal {
        let record = authenticated.record
        switch record.subject {
        case .machine:
            return Principal(
                subject: .machine,
                name: "token:\(record.name)",
                team: record.team,
                app: record.app,
                verbs: record.verbs.map(Set.init)
            )
        case .user:
            guard forWrite else { return Principal(subject: .user, name: record.name) }
            guard let user = try await member(record.name) else {
                throw Problem(.unauthorized, "\(record.name) is no longer in the directory")
            }
            return Principal(
                subject: .user,
                name: user.name,
                groups: Set(user.teams + user.groups.map { $0.lowercased() }),
                admin: user.admin
            )
        }
    }

    /// The user's directory entry, from the cache while fresh.
    func member(_ name: String) async throws -> DirectoryUser? {
        let now = Date().timeIntervalSince1970
        if let cached = memberships.withLock({ $0[name] }), now - cached.at < configuration.membershipTTL {
            return cached.user
        }
        do {
            let user = try await directory.membership(of: name)
            memberships.withLock { $0[name] = (user, Date().timeIntervalSince1970) }
            return user
        } catch let error where error.kind == .unavailable {
            throw Problem(
                .directoryUnavailable,
                "\(error.description); writes are refused until the directory answers. Nothing was written"
            )
        } catch {
            throw Problem(.directoryUnavailable, "the directory refused a membership lookup: \(error.description)")
        }
    }

    /// `whoami`: a user's teams as the directory has them now (from the cache while fresh).
    public func identity(_ authenticated: Authenticated) async throws -> Identity {
        let record = authenticated.record
        guard record.subject == .user else { return identity(record, user: nil) }
        return identity(record, user: try await member(record.name))
    }

    func identity(_ record: TokenRecord, user: DirectoryUser?) -> Identity {
        Identity(
            subject: record.subject.rawValue,
            name: record.name,
            teams: record.subject == .machine ? [record.team ?? ""] : (user?.teams ?? []),
            admin: record.subject == .user && (user?.admin ?? false),
            expires: Self.time(record.expires),
            app: record.app,
            verbs: record.verbs
        )
    }

    static func time(_ seconds: Double) -> String {
        Timestamp.string(Date(timeIntervalSince1970: seconds))
    }
}
