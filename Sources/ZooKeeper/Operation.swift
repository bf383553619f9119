/// One step of an atomic `multi` transaction.
public enum Operation: Hashable, Sendable {
    case create(path: String, data: [UInt8], mode: CreateMode = .persistent, acl: [ACL]? = nil)
    case setData(path: String, data: [UInt8], version: Int32)
    case delete(path: String, version: Int32)
    /// Fails the transaction unless the node exists with exactly this version.
    case check(path: String, version: Int32)

    public var path: String {
        switch self {
        case .create(let p, _, _, _), .setData(let p, _, _), .delete(let p, _), .check(let p, _): return p
        }
    }
}

/// What one step of a successful `multi` produced.
public enum OperationResult: Hashable, Sendable {
    case created(path: String)
    case set(Stat)
    case deleted
    case checked
}
