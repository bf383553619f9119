internal import CZooKeeper
import Crypto
import Foundation

#if canImport(Glibc)
internal import Glibc
#endif

/// One access-control entry of a znode.
public struct ACL: Hashable, Sendable {
    public struct Permissions: OptionSet, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let read = Permissions(rawValue: 1 << 0)
        public static let write = Permissions(rawValue: 1 << 1)
        public static let create = Permissions(rawValue: 1 << 2)
        public static let delete = Permissions(rawValue: 1 << 3)
        public static let admin = Permissions(rawValue: 1 << 4)
        public static let all: Permissions = [.read, .write, .create, .delete, .admin]
    }

    public var permissions: Permissions
    public var scheme: String
    public var id: String

    public init(permissions: Permissions, scheme: String, id: String) {
        self.permissions = permissions
        self.scheme = scheme
        self.id = id
    }

    /// Anyone, with these permissions.
    public static func anyone(_ permissions: Permissions) -> ACL {
        ACL(permissions: permissions, scheme: "world", id: "anyone")
    }

    /// The identity `user` of ZooKeeper's digest scheme, as a session authenticates with
    /// `addAuth("digest", "user:password")`: `user:base64(sha1("user:password"))`.
    public static func digest(user: String, password: String, _ permissions: Permissions) -> ACL {
        let hash = Data(Insecure.SHA1.hash(data: Data("\(user):\(password)".utf8))).base64EncodedString()
        return ACL(permissions: permissions, scheme: "digest", id: "\(user):\(hash)")
    }

    /// `digest(user:password:)` from a credential `user:password`; nil if it has no colon.
    public static func digest(credential: String, _ permissions: Permissions) -> ACL? {
        guard let colon = credential.firstIndex(of: ":") else { return nil }
        return digest(
            user: String(credential[..<colon]),
            password: String(credential[credential.index(after: colon)...]),
            permissions
        )
    }

    /// Every identity the creating session has authenticated as (ZooKeeper's `auth` scheme).
    public static func creator(_ permissions: Permissions) -> ACL {
        ACL(permissions: permissions, scheme: "auth", id: "")
    }

    /// World-writable: for development clusters without authentication.
    public static let openUnsafe: [ACL] = [.anyone(.all)]
    /// The creator may do anything; everyone else may only read.
    public static let creatorAllAnyoneRead: [ACL] = [.creator(.all), .anyone(.read)]
}

extension Array where Element == ACL {
    /// Calls `body` with a C `ACL_vector` that lives for the duration of the call.
    func withCACLVector<R>(_ body: (UnsafeMutablePointer<ACL_vector>) -> R) -> R {
        let vector = makeACLVector(self)
        defer { freeACLVector(vector) }
        return body(vector)
    }
}

func makeACLVector(_ acl: [ACL]) -> UnsafeMutablePointer<ACL_vector> {
    let entries = UnsafeMutablePointer<CZooKeeper.ACL>.allocate(capacity: Swift.max(acl.count, 1))
    for (i, a) in acl.enumerated() {
        entries[i] = CZooKeeper.ACL(perms: a.permissions.rawValue, id: Id(scheme: strdup(a.scheme), id: strdup(a.id)))
    }
    let vector = UnsafeMutablePointer<ACL_vector>.allocate(capacity: 1)
    vector.initialize(to: ACL_vector(count: Int32(acl.count), data: entries))
    return vector
}

func freeACLVector(_ vector: UnsafeMutablePointer<ACL_vector>) {
    let v = vector.pointee
    for i in 0..<Int(v.count) {
        free(v.data[i].id.scheme)
        free(v.data[i].id.id)
    }
    v.data.deallocate()
    vector.deallocate()
}
