public import Manager
public import ZKModel

/// Where `GET /v1/{kind}[/{name}]` reads from: ZooKeeper, through the manager's store.
public struct DocumentReads: Sendable {
    let store: ClusterStore

    public init(store: ClusterStore) { self.store = store }

    func one(_ key: DocumentKey) async throws -> StoredDocument? {
        try await store.read(key)
    }

    func all(_ kind: Kind) async throws -> [StoredDocument] {
        try await store.snapshot(kinds: [kind]).documents.values.sorted { $0.document.name < $1.document.name }
    }
}
