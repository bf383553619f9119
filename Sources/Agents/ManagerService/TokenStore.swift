import Crypto
import Foundation
public import Manager
import Reconciler
import Synchronization
public import ZKModel
import ZooKeeper

/// Issued tokens in `<root>/auth/tokens/<sha256 hex>`: a token is 32 random bytes the caller
/// keeps; the manager stores only its hash (in a subtree no other identity may read), so a
/// ZooKeeper dump reveals none, and deleting the node revokes it at once.
///
/// Lookups are served from a watched copy of the folder (`run`) when the token is in it, so a
/// request costs no ZooKeeper round trip; a token not (yet) in the copy is read from ZooKeeper.
/// A revocation through this manager takes effect at once; one through another manager when
/// ZooKeeper's notification arrives (milliseconds).
public final class TokenStore: Sendable {
    let store: ClusterStore
    let cache: ZNodeCache
    /// Revoked here, until the copy has seen the delete.
    private let revoked = Mutex<Set<String>>([])
    /// Records decoded from the copy, by hash, with the version of the node they came from.
    private let decoded = Mutex<[String: (mzxid: Int64, record: TokenRecord)]>([:])

    public init(store: ClusterStore) {
        self.store = store
        self.cache = ZNodeCache(zk: store.zk, folder: store.tree.tokens)
    }

    /// Keeps the copy until cancelled (the folder made first, with the manager-only ACL).
    public func run() async {
        while !Task.isCancelled {
            if (try? await ensureFolder()) != nil { break }
            try? await Task.sleep(for: .seconds(1))
        }
        await cache.run()
    }

    /// Lowercase hex of the token's SHA-256 (by table: `String(format:)` costs microseconds per
    /// byte, and this runs on every request).
    public static func hash(_ token: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(token.utf8)) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A new token for `record`, stored (as its hash) before it is returned.
    public func issue(_ record: TokenRecord) async throws -> (token: String, hash: String) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        let token =
            "atl_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let hash = Self.hash(token)
        try await ensureFolder()
        try await store.zk.create(
            store.tree.token(hash: hash),
            data: try Payload.encode(record),
            acl: store.privateACL
        )
        return (token, hash)
    }

    /// What `token` stands for; nil when it was never issued, was revoked or has expired (an
    /// expired one is removed).
    public func look(up token: String) async throws -> (record: TokenRecord, hash: String)? {
        guard token.hasPrefix("atl_"), token.utf8.count < 128 else { return nil }
        let hash = Self.hash(token)
        if revoked.withLock({ $0.contains(hash) }) {
            if cache.snapshot(hash) == nil { revoked.withLock { _ = $0.remove(hash) } }
            return nil
        }
        let record: TokenRecord
        if let cached = cache.snapshot(hash) {
            if let known = decoded.withLock({ $0[hash] }), known.mzxid == cached.stat.mzxid {
                record = known.record
            } else {
                guard let fresh = try? Payload.decode(TokenRecord.self, from: cached.data, path: "token") else {
                    return nil
                }
                decoded.withLock { decoded in
                    if decoded.count > 100_000 { decoded.removeAll() }
                    decoded[hash] = (cached.stat.mzxid, fresh)
                }
                record = fresh
            }
        } else {
            guard let (data, _) = try await getIfPresent(store.tree.token(hash: hash)),
                let read = try? Payload.decode(TokenRecord.self, from: data, path: "token")
            else { return nil }
            record = read
        }
        if record.expires < Date().timeIntervalSince1970 {
            try? await store.zk.delete(store.tree.token(hash: hash))
            return nil
        }
        return (record, hash)
    }

    public func revoke(hash: String) async throws {
        revoked.withLock { _ = $0.insert(hash) }
        do {
            try await store.zk.delete(store.tree.token(hash: hash))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
    }

    /// Every stored token (hash and record), expired ones left out.
    public func all() async throws -> [(hash: String, record: TokenRecord)] {
        let names: [String]
        do {
            names = try await store.zk.children(store.tree.tokens)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        }
        let now = Date().timeIntervalSince1970
        var out: [(String, TokenRecord)] = []
        for name in names.sorted() {
            guard let (data, _) = try await getIfPresent(store.tree.token(hash: name)),
                let record = try? Payload.decode(TokenRecord.self, from: data, path: "token"), record.expires >= now
            else { continue }
            out.append((name, record))
        }
        return out
    }

    private func ensureFolder() async throws {
        if (try? await store.zk.exists(store.tree.tokens)) ?? nil != nil { return }
        try await store.zk.ensurePath(store.tree.tokens, acl: store.privateACL)
    }

    private func getIfPresent(_ path: String) async throws -> ([UInt8], Stat)? {
        do {
            return try await store.zk.getData(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }
}
