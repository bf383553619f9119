public import ZKModel

/// What an apply (or delete) will write, decided before anything is written.
public struct ApplyPlan: Sendable {
    public enum Action: Sendable {
        case create(Document)
        case update(from: StoredDocument, to: Document)
        case delete(StoredDocument)

        public var key: DocumentKey {
            switch self {
            case .create(let d): return d.key
            case .update(_, let d): return d.key
            case .delete(let s): return s.document.key
            }
        }
    }

    public var actions: [Action] = []
    public var unchanged: [DocumentKey] = []
    /// Documents referred to by what is written, which must still be at these versions.
    public var checks: [DocumentKey: Int32] = [:]
    /// Kind folders whose version must not have moved (nothing new refers to what is deleted).
    public var folderChecks: [Kind: Int32] = [:]
    /// Kind folders whose version is bumped (at the version read: two writers that both bump
    /// one folder conflict): the folder of every kind written. A folder's version thus moves
    /// with every change of its documents, so a snapshot is still current while its folders'
    /// versions are (`SnapshotMemory`); and documents that refer to others are not written
    /// beside a concurrent write of their kind.
    public var folderBumps: [Kind: Int32] = [:]
    public var source: String

    public var isEmpty: Bool { actions.isEmpty }
}
