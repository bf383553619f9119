internal import CZooKeeper

/// An error from ZooKeeper or from this client, with a message a user can act on.
public struct ZooKeeperError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        case noNode
        case nodeExists
        case badVersion
        case notEmpty
        case noAuth
        case authFailed
        case invalidACL
        case noChildrenForEphemerals
        case connectionLoss
        case sessionExpired
        case operationTimeout
        case closing
        case badArguments
        case invalidState
        case marshallingError
        case system
        case other(Int32)
    }

    public let code: Code
    /// The path the failing operation was about, when there was one.
    public let path: String?
    /// For a failed `multi`: the index of the operation that failed.
    public let failedOperationIndex: Int?

    public init(code: Code, path: String? = nil, failedOperationIndex: Int? = nil) {
        self.code = code
        self.path = path
        self.failedOperationIndex = failedOperationIndex
    }

    init(rc: Int32, path: String? = nil, failedOperationIndex: Int? = nil) {
        self.init(code: Code(rc: rc), path: path, failedOperationIndex: failedOperationIndex)
    }

    /// True when the outcome of the operation is unknown: it may or may not have been applied.
    public var isIndeterminate: Bool {
        switch code {
        case .connectionLoss, .operationTimeout: return true
        default: return false
        }
    }

    /// True for errors that a retry on a healthy connection may cure.
    public var isTransient: Bool {
        switch code {
        case .connectionLoss, .operationTimeout, .sessionExpired, .closing: return true
        default: return false
        }
    }

    public var description: String {
        let at = path.map { " at \($0)" } ?? ""
        let op = failedOperationIndex.map { " (operation #\($0 + 1) of the transaction)" } ?? ""
        return "\(code.message)\(at)\(op)"
    }
}

extension ZooKeeperError.Code {
    init(rc: Int32) {
        switch rc {
        case ZNONODE.rawValue: self = .noNode
        case ZNODEEXISTS.rawValue: self = .nodeExists
        case ZBADVERSION.rawValue: self = .badVersion
        case ZNOTEMPTY.rawValue: self = .notEmpty
        case ZNOAUTH.rawValue: self = .noAuth
        case ZAUTHFAILED.rawValue: self = .authFailed
        case ZINVALIDACL.rawValue: self = .invalidACL
        case ZNOCHILDRENFOREPHEMERALS.rawValue: self = .noChildrenForEphemerals
        case ZCONNECTIONLOSS.rawValue: self = .connectionLoss
        case ZSESSIONEXPIRED.rawValue: self = .sessionExpired
        case ZOPERATIONTIMEOUT.rawValue: self = .operationTimeout
        case ZCLOSING.rawValue: self = .closing
        case ZBADARGUMENTS.rawValue: self = .badArguments
        case ZINVALIDSTATE.rawValue: self = .invalidState
        case ZMARSHALLINGERROR.rawValue: self = .marshallingError
        case ZSYSTEMERROR.rawValue: self = .system
        default: self = .other(rc)
        }
    }

    var message: String {
        switch self {
        case .noNode: return "node does not exist"
        case .nodeExists: return "node already exists"
        case .badVersion: return "version conflict: the node changed since it was read; re-read and retry"
        case .notEmpty: return "node has children; delete them first"
        case .noAuth: return "not authorized: this identity may not do that (check --zk-auth)"
        case .authFailed: return "ZooKeeper authentication failed (check the credentials)"
        case .invalidACL: return "invalid ACL"
        case .noChildrenForEphemerals: return "ephemeral nodes may not have children"
        case .connectionLoss: return "connection to ZooKeeper lost; the operation may or may not have been applied"
        case .sessionExpired: return "ZooKeeper session expired"
        case .operationTimeout: return "ZooKeeper did not answer in time (is it running and reachable?)"
        case .closing: return "the ZooKeeper client is closing"
        case .badArguments: return "invalid arguments to a ZooKeeper call"
        case .invalidState: return "the ZooKeeper handle is in an invalid state (expired or failed authentication)"
        case .marshallingError: return "could not encode the request (too large?)"
        case .system: return "system error in the ZooKeeper client"
        case .other(let rc): return "ZooKeeper error \(rc)"
        }
    }
}
