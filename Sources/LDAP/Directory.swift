import Foundation
import NIOPosix

/// A person as the directory knows them: their teams (the naming values of the groups that list
/// them as a member) and whether they are a platform admin.
public struct DirectoryUser: Codable, Sendable, Hashable {
    public var name: String
    public var dn: String
    public var displayName: String?
    public var teams: [String]
    /// The DNs of those groups.
    public var groups: [String]
    public var admin: Bool
}

/// People, teams and admins in an LDAP directory. Each operation opens a handle of its own on a
/// dedicated thread pool (libldap blocks), binds, asks and closes it.
public struct Directory: Sendable {
    public let configuration: DirectoryConfiguration

    public init(_ configuration: DirectoryConfiguration) {
        self.configuration = configuration
    }

    /// Blocking LDAP calls run here, never on Swift's cooperative pool. A server that does not
    /// answer holds a thread for at most the operation timeout.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    /// User names allowed into a DN: a lowercase letter, then lowercase letters, digits, `.`, `_`
    /// or `-`, 64 at most.
    public static func checkUserName(_ name: String) throws(LDAPError) {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]),
            bytes.allSatisfy({
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            })
        else {
            throw LDAPError(
                .refused,
                "a user name is a lowercase letter followed by lowercase letters, digits, '.', '_' or '-' (64 at most)"
            )
        }
    }

    public func userDN(_ name: String) -> String {
        "\(configuration.userNaming)=\(LDAPEscaping.dnValue(name)),\(configuration.peopleDN)"
    }

    /// Binds as the user with `password` on a fresh handle; on success, their teams. A bad name
    /// or an empty password is refused before anything is sent.
    public func authenticate(user: String, password: String) async throws(LDAPError) -> DirectoryUser {
        try Self.checkUserName(user)
        guard !password.isEmpty else { throw LDAPError(.refused, "an empty password is refused") }
        return try await run { () throws(LDAPError) in
            let connection = try LDAPConnection(configuration.options)
            try connection.bind(dn: userDN(user), password: password)
            // What the user may read is up to the directory: ask as the service account.
            try connection.bind(dn: configuration.serviceDN, password: configuration.servicePassword ?? "")
            guard let found = try lookUp(user, on: connection) else {
                throw LDAPError(.invalidCredentials, code: 49, "invalid credentials")
            }
            return found
        }
    }

    /// The user's teams and admin flag now, as the service account sees them; nil when the
    /// directory has no such person (any more).
    public func membership(of user: String) async throws(LDAPError) -> DirectoryUser? {
        try Self.checkUserName(user)
        return try await run { () throws(LDAPError) in
            let connection = try LDAPConnection(configuration.options)
            try connection.bind(dn: configuration.serviceDN, password: configuration.servicePassword ?? "")
            return try lookUp(user, on: connection)
        }
    }

    private func lookUp(_ user: String, on connection: LDAPConnection) throws(LDAPError) -> DirectoryUser? {
        let dn = userDN(user)
        let people = try connection.search(
            base: dn,
            scope: .base,
            filter: "(objectClass=inetOrgPerson)",
            attributes: ["cn"]
        )
        guard let person = people.first else { return nil }
        let teamFilter =
            "(&(objectClass=groupOfNames)(\(configuration.member)=\(LDAPEscaping.filterValue(dn))))"
        let groups = try connection.search(
            base: configuration.teamsDN,
            scope: .subtree,
            filter: teamFilter,
            attributes: [configuration.teamNaming]
        )
        let admin = try connection.compare(dn: configuration.adminsDN, attribute: configuration.member, value: dn)
        let teamEntries = groups.filter { $0.dn.lowercased() != configuration.adminsDN.lowercased() }
        let teams = teamEntries.compactMap { $0.attributes[configuration.teamNaming]?.first }
        return DirectoryUser(
            name: user,
            dn: dn,
            displayName: person.attributes["cn"]?.first,
            teams: teams.sorted(),
            groups: teamEntries.map(\.dn).sorted(),
            admin: admin
        )
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws(LDAPError) -> T) async throws(LDAPError) -> T {
        do {
            return try await Self.pool.runIfActive { try body() }
        } catch let error as LDAPError {
            throw error
        } catch {
            throw LDAPError(.unavailable, "the directory could not be asked: \(error)")
        }
    }
}
