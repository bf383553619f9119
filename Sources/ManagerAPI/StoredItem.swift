public import ZKModel

/// One stored document as `GET /v1/{kind}[/{name}]` returns it.
public struct StoredItem: Codable, Sendable, Hashable {
    public var document: JSONValue
    /// ZooKeeper's data version: send it back as `If-Match` to write only over what was read.
    public var version: Int32
    /// Last change, milliseconds since 1970.
    public var modified: Int64
    /// What the agents last reported about it (with `?status=true`).
    public var status: ObjectStatus?

    public init(document: JSONValue, version: Int32, modified: Int64, status: ObjectStatus? = nil) {
        self.document = document
        self.version = version
        self.modified = modified
        self.status = status
    }
}

/// `GET /v1/{kind}`.
public struct StoredList: Codable, Sendable, Hashable {
    public var items: [StoredItem]

    public init(items: [StoredItem]) { self.items = items }
}
