public import ZKModel

/// `GET /v1/audit`: accepted writes, oldest first.
public struct AuditList: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        /// The record's znode name (`e-<sequence>`): increasing.
        public var id: String
        public var record: AuditRecord

        public init(id: String, record: AuditRecord) {
            self.id = id
            self.record = record
        }
    }

    public var items: [Entry]

    public init(items: [Entry]) { self.items = items }
}
