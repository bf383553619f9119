/// One desired-state document: `apiVersion`, `kind`, `metadata`, `spec`, as stored in its znode.
public struct Document: Hashable, Sendable {
    public static let apiVersion = "atlantis/v1"

    public var kind: Kind
    public var metadata: Metadata
    public var spec: JSONValue

    public struct Metadata: Hashable, Sendable {
        public var name: String
        public var labels: [String: String]
        /// Set by Atlantis: 1 when created, +1 on every change (the znode's data version + 1).
        public var generation: Int?
        /// Set by Atlantis: who applied the document (`apply --source`).
        public var source: String?

        public init(name: String, labels: [String: String] = [:], generation: Int? = nil, source: String? = nil) {
            self.name = name
            self.labels = labels
            self.generation = generation
            self.source = source
        }
    }

    public init(kind: Kind, metadata: Metadata, spec: JSONValue) {
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
    }

    public var name: String { metadata.name }
    public var key: DocumentKey { DocumentKey(kind: kind, name: metadata.name) }

    public var json: JSONValue {
        var meta: [String: JSONValue] = ["name": .string(metadata.name)]
        if !metadata.labels.isEmpty { meta["labels"] = .object(metadata.labels.mapValues { .string($0) }) }
        if let g = metadata.generation { meta["generation"] = .int(g) }
        if let s = metadata.source { meta["source"] = .string(s) }
        return .object([
            "apiVersion": .string(Document.apiVersion),
            "kind": .string(kind.rawValue),
            "metadata": .object(meta),
            "spec": spec,
        ])
    }

    /// What the user controls: equal contents mean an apply has nothing to write.
    public func sameContent(as other: Document) -> Bool {
        kind == other.kind && metadata.name == other.metadata.name && metadata.labels == other.metadata.labels
            && SchemaValidator.equal(spec, other.spec)
    }
}

/// Identifies a document: its kind and name.
public struct DocumentKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: Kind
    public var name: String

    public init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    public static func < (a: DocumentKey, b: DocumentKey) -> Bool {
        (a.kind.dependencyRank, a.name) < (b.kind.dependencyRank, b.name)
    }

    public var description: String { "\(kind.rawValue) \"\(name)\"" }
}
