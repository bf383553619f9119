import Foundation

/// Where people, teams and platform admins live in the directory, and the read-only service
/// account the manager searches with. Loaded from a JSON file (`atlantis manager --ldap-config`);
/// every field but `uri`, `base` and `serviceDN` has a default:
///
/// ```json
/// {"uri": "ldap://127.0.0.1:3389", "base": "dc=example,dc=org",
///  "serviceDN": "cn=atlantis,ou=services,dc=example,dc=org", "servicePasswordFile": "ldap.secret"}
/// ```
public struct DirectoryConfiguration: Codable, Sendable, Hashable {
    public var uri: String
    public var startTLS: Bool?
    public var caFile: String?
    public var networkTimeout: Double?
    public var operationTimeout: Double?
    /// The suffix, e.g. `dc=example,dc=org`.
    public var base: String
    /// People (`inetOrgPerson`); default `ou=people,<base>`.
    public var people: String?
    /// Teams (`groupOfNames`: `member` = user DNs, `owner` = team admins); default `ou=teams,<base>`.
    public var teams: String?
    /// The group of platform admins; default `cn=atlantis-admins,<teams>`.
    public var admins: String?
    /// The naming attribute of people (default `uid`) and of teams (default `cn`).
    public var userAttribute: String?
    public var teamAttribute: String?
    /// The attribute of a team that lists its members' DNs (default `member`).
    public var memberAttribute: String?
    /// The read-only account the manager binds as to look up membership.
    public var serviceDN: String
    /// Its password, in a file of its own (mode 0600); relative to the configuration file.
    public var servicePasswordFile: String?
    /// Or the password itself (tests only: a file is what a real deployment uses).
    public var servicePassword: String?

    public init(uri: String, base: String, serviceDN: String, servicePassword: String) {
        self.uri = uri
        self.base = base
        self.serviceDN = serviceDN
        self.servicePassword = servicePassword
    }

    public var options: LDAPOptions {
        LDAPOptions(
            uri: uri,
            startTLS: startTLS ?? false,
            caFile: caFile,
            networkTimeout: networkTimeout ?? 2,
            operationTimeout: operationTimeout ?? 3
        )
    }
    public var peopleDN: String { people ?? "ou=people,\(base)" }
    public var teamsDN: String { teams ?? "ou=teams,\(base)" }
    public var adminsDN: String { admins ?? "cn=atlantis-admins,\(teamsDN)" }
    public var userNaming: String { userAttribute ?? "uid" }
    public var teamNaming: String { teamAttribute ?? "cn" }
    public var member: String { memberAttribute ?? "member" }

    /// Reads the file and the service password it points to.
    public static func load(path: String) throws -> DirectoryConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LDAPError(.refused, "cannot read the directory configuration \(path)")
        }
        var configuration: DirectoryConfiguration
        do {
            configuration = try JSONDecoder().decode(DirectoryConfiguration.self, from: data)
        } catch {
            throw LDAPError(.refused, "\(path) is not a directory configuration: \(error)")
        }
        if configuration.servicePassword == nil, let file = configuration.servicePasswordFile {
            let resolved =
                file.hasPrefix("/")
                ? file : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file)
            guard let secret = FileManager.default.contents(atPath: resolved) else {
                throw LDAPError(.refused, "cannot read the service password file \(resolved) named by \(path)")
            }
            configuration.servicePassword = String(decoding: secret, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard configuration.servicePassword?.isEmpty == false else {
            throw LDAPError(.refused, "\(path) names no service password (servicePasswordFile)")
        }
        return configuration
    }
}
