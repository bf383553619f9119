import Foundation
public import ZooKeeper

/// One role's ZooKeeper identity, read from a file only its process can read
/// (`--zk-identity-file`, mode 0600; never on the command line where `ps` shows it):
///
/// ```json
/// {"role": "supervisor", "user": "atlantis-supervisor", "password": "…",
///  "cluster": {"manager": "atlantis-manager:<base64 sha1>", "scheduler": "…", …}}
/// ```
///
/// `cluster` holds every role's public digest id (no password), so that any process creates
/// nodes with the ACL the table gives them.
public struct ZooKeeperIdentity: Codable, Sendable, Hashable {
    public var role: Role
    public var user: String
    public var password: String
    /// Every role's digest id, `user:base64(sha1(user:password))`.
    public var cluster: [String: String]

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The identity in `path`, refused when others than its owner may read the file.
    public static func load(path: String) throws -> ZooKeeperIdentity {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Invalid(description: "cannot read the ZooKeeper identity file \(path)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Invalid(
                description:
                    "\(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): `chmod 600 \(path)`"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "cannot read the ZooKeeper identity file \(path)")
        }
        let identity: ZooKeeperIdentity
        do {
            identity = try JSONDecoder().decode(ZooKeeperIdentity.self, from: data)
        } catch {
            throw Invalid(description: "\(path) is not a ZooKeeper identity: \(error)")
        }
        for role in Role.allCases where identity.cluster[role.rawValue] == nil {
            throw Invalid(
                description: "\(path) names no digest id for the \(role.rawValue) role (cluster.\(role.rawValue))"
            )
        }
        return identity
    }

    /// What the session authenticates with.
    public var credential: ZooKeeperConfiguration.Credential {
        .init(scheme: "digest", secret: "\(user):\(password)")
    }

    /// The ACL table for `tree` with this cluster's ids.
    public var ids: [Role: String] {
        var out: [Role: String] = [:]
        for role in Role.allCases { out[role] = cluster[role.rawValue] }
        return out
    }

    /// A new identity per role with random passwords, written to `<directory>/<role>.json`
    /// (mode 0600); files already there are kept. The identities, by role.
    @discardableResult
    public static func generate(in directory: String) throws -> [Role: ZooKeeperIdentity] {
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        var existing: [Role: ZooKeeperIdentity] = [:]
        for role in Role.allCases {
            if let found = try? load(path: file(role, in: directory)) { existing[role] = found }
        }
        if existing.count == Role.allCases.count { return existing }
        var passwords: [Role: String] = [:]
        for role in Role.allCases {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
            passwords[role] = Data(bytes).base64EncodedString().filter { $0.isLetter || $0.isNumber }
        }
        var cluster: [String: String] = [:]
        for role in Role.allCases {
            cluster[role.rawValue] = ACL.digest(user: role.user, password: passwords[role]!, .all).id
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var out: [Role: ZooKeeperIdentity] = [:]
        for role in Role.allCases {
            let identity = ZooKeeperIdentity(role: role, user: role.user, password: passwords[role]!, cluster: cluster)
            let path = file(role, in: directory)
            _ = FileManager.default.createFile(
                atPath: path,
                contents: try encoder.encode(identity),
                attributes: [.posixPermissions: 0o600]
            )
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            out[role] = identity
        }
        return out
    }

    public static func file(_ role: Role, in directory: String) -> String { "\(directory)/\(role.rawValue).json" }
}
