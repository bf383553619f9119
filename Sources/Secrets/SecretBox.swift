public import Crypto
import Foundation
public import ZKModel

/// Seals and opens secret values with the cluster's key (AES-256-GCM). Each value is bound to
/// its app, environment and name (the associated data), so a sealed value copied elsewhere in
/// the tree does not open.
public struct SecretBox: Sendable {
    /// The key's bytes (`SymmetricKey` is not `Sendable`; one is made per operation).
    let keyBytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// The first 16 hex digits of the key's SHA-256.
    public let keyID: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
        self.keyID = String(
            SHA256.hash(data: key.withUnsafeBytes { Data($0) }).map { String(format: "%02x", $0) }.joined().prefix(16)
        )
    }

    /// The key in `path` (32 bytes, base64), refused when others than its owner may read it.
    public static func load(keyFile path: String) throws -> SecretBox {
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read the secrets key file \(path)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "\(path) may be read by others: `chmod 600 \(path)`")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw Failure(description: "\(path) does not hold a secrets key (32 bytes, base64)")
        }
        return SecretBox(key: SymmetricKey(data: bytes))
    }

    /// Writes a new random key to `path` (mode 0600) unless one is there; the box of the key.
    @discardableResult
    public static func generate(keyFile path: String) throws -> SecretBox {
        if FileManager.default.fileExists(atPath: path) { return try load(keyFile: path) }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0) }.base64EncodedString() + "\n"
        guard
            FileManager.default.createFile(
                atPath: path,
                contents: Data(text.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw Failure(description: "cannot write the secrets key file \(path)") }
        return SecretBox(key: key)
    }

    static func context(app: String, environment: String, name: String) -> Data {
        Data("atlantis/v1 secret \(app)/\(environment)/\(name)".utf8)
    }

    public func seal(_ value: String, app: String, environment: String, name: String) throws -> String {
        let box = try AES.GCM.seal(
            Data(value.utf8),
            using: key,
            authenticating: Self.context(app: app, environment: environment, name: name)
        )
        guard let combined = box.combined else { throw Failure(description: "sealing failed") }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String, app: String, environment: String, name: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else {
            throw Failure(description: "secret \(name) of \(app)/\(environment) is not sealed data")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            let plain = try AES.GCM.open(
                box,
                using: key,
                authenticating: Self.context(app: app, environment: environment, name: name)
            )
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw Failure(
                description:
                    "secret \(name) of \(app)/\(environment) does not open with this key (\(keyID)): is --secrets-key-file the manager's?"
            )
        }
    }

    /// Every value of `set`, opened: `NAME=value` for a container's environment.
    public func environment(of set: SecretSet) throws -> [String] {
        guard set.keyID == keyID else {
            throw Failure(
                description:
                    "the secrets of \(set.app)/\(set.environment) are sealed with key \(set.keyID), this supervisor holds \(keyID): give it the manager's --secrets-key-file"
            )
        }
        return try set.entries.sorted { $0.key < $1.key }.map { name, sealed in
            "\(name)=\(try open(sealed, app: set.app, environment: set.environment, name: name))"
        }
    }
}
