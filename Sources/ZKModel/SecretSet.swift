/// `<root>/secrets/<app>/<environment>`: an environment's secrets, each value sealed (AES-GCM,
/// bound to its app, environment and name) with the cluster's secrets key, which the manager and
/// the supervisors hold in a file. Written by the manager; read by supervisors, which open the
/// values only to start a container. World-unreadable (see the ACL table).
public struct SecretSet: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "SecretSet"
    public var app: String
    public var environment: String
    /// Bumped by every change; releases name the revision they were made with.
    public var revision: Int
    /// The first 16 hex digits of the key's SHA-256, so a supervisor with another key says so.
    public var keyID: String
    /// Name → base64 of nonce, ciphertext and tag.
    public var entries: [String: String]
    /// ISO 8601.
    public var updated: String

    public init(
        app: String,
        environment: String,
        revision: Int,
        keyID: String,
        entries: [String: String],
        updated: String
    ) {
        self.app = app
        self.environment = environment
        self.revision = revision
        self.keyID = keyID
        self.entries = entries
        self.updated = updated
    }

    /// Names a secret may have: an environment variable's, not one of Atlantis' own.
    public static func checkName(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let upper = UInt8(ascii: "A")...UInt8(ascii: "Z")
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard (1...64).contains(bytes.count), upper.contains(bytes[0]) || bytes[0] == UInt8(ascii: "_"),
            bytes.allSatisfy({ upper.contains($0) || digit.contains($0) || $0 == UInt8(ascii: "_") })
        else {
            return
                "\"\(name.prefix(64))\" is not a secret name: capital letters, digits and _, starting with a letter (64 at most)"
        }
        if name.hasPrefix("ATLANTIS_") { return "\(name): names starting with ATLANTIS_ are Atlantis' own" }
        return nil
    }

    public static let maxValueBytes = 4096
    public static let maxEntries = 100
}
