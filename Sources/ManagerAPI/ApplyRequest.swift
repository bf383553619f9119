public import ZKModel

/// `POST /v1/apply` and `POST /v1/diff`: documents written all together or not at all.
public struct ApplyRequest: Codable, Sendable, Hashable {
    /// One document and where the client read it from (errors name the file and position).
    public struct Item: Codable, Sendable, Hashable {
        public var file: String?
        public var index: Int?
        public var document: JSONValue
        /// The version the client read (as `If-Match` does for one document): refused with 409
        /// when the stored document is at another one, or is gone.
        public var ifVersion: Int32?

        public init(file: String? = nil, index: Int? = nil, document: JSONValue, ifVersion: Int32? = nil) {
            self.file = file
            self.index = index
            self.document = document
            self.ifVersion = ifVersion
        }
    }

    public var documents: [Item]
    /// Who applies: documents remember it, and `prune` deletes only its own. Default `api`.
    public var source: String?
    public var prune: Bool?
    public var dryRun: Bool?

    public init(documents: [Item], source: String? = nil, prune: Bool? = nil, dryRun: Bool? = nil) {
        self.documents = documents
        self.source = source
        self.prune = prune
        self.dryRun = dryRun
    }

    public static let fields: Set<String> = ["documents", "source", "prune", "dryRun"]
    public static let itemFields: Set<String> = ["file", "index", "document", "ifVersion"]
}

/// What an apply, delete or teardown changed (or, dry, would change).
public struct ApplyResult: Codable, Sendable, Hashable {
    public struct Change: Codable, Sendable, Hashable {
        public enum Action: String, Codable, Sendable { case create, update, delete }
        public var action: Action
        public var kind: Kind
        public var name: String

        public init(action: Action, kind: Kind, name: String) {
            self.action = action
            self.kind = kind
            self.name = name
        }

        public var key: DocumentKey { DocumentKey(kind: kind, name: name) }
    }

    public struct Ref: Codable, Sendable, Hashable {
        public var kind: Kind
        public var name: String

        public init(kind: Kind, name: String) {
            self.kind = kind
            self.name = name
        }

        public var key: DocumentKey { DocumentKey(kind: kind, name: name) }
    }

    public var changes: [Change]
    public var unchanged: [Ref]
    public var dryRun: Bool
    /// The changes as a readable diff (`atlantis diff` prints it).
    public var diff: String

    public init(changes: [Change], unchanged: [Ref], dryRun: Bool, diff: String) {
        self.changes = changes
        self.unchanged = unchanged
        self.dryRun = dryRun
        self.diff = diff
    }
}
