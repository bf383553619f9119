import Foundation
public import Manager
import Reconciler
import Synchronization
import ZKModel
import ZooKeeper

/// Where `GET /v1/{kind}[/{name}]` reads from: a watched copy of each kind's folder (one
/// `ZNodeCache` per kind), so a read costs no ZooKeeper round trip. Straight from ZooKeeper
/// instead while the copy is not synced yet, and for a second after a write through this
/// manager (a client reads what it just wrote; across managers ZooKeeper's own ordering holds:
/// a read may trail a write made elsewhere by the time a watch takes).
public final class DocumentReads: Sendable {
    let store: ClusterStore
    let caches: [Kind: ZNodeCache]
    private let synced = Atomic<Bool>(false)
    private let lastWrite = Mutex<ContinuousClock.Instant?>(nil)
    /// `GET /v1/{kind}/{name}` answers, encoded once per version of the document.
    private let encoded = Mutex<[DocumentKey: (mzxid: Int64, body: [UInt8], version: Int32)]>([:])
    static let freshAfterWrite: Duration = .seconds(1)

    public init(store: ClusterStore) {
        self.store = store
        var caches: [Kind: ZNodeCache] = [:]
        for kind in Kind.allCases { caches[kind] = ZNodeCache(zk: store.zk, folder: store.tree.desired(kind)) }
        self.caches = caches
    }

    /// Keeps the copies until cancelled (the folders made first, with the manager's ACLs).
    public func run() async {
        while !Task.isCancelled {
            if (try? await store.bootstrap()) != nil { break }
            try? await Task.sleep(for: .seconds(1))
        }
        await withTaskGroup(of: Void.self) { group in
            for cache in caches.values { group.addTask { await cache.run() } }
            group.addTask {
                for cache in self.caches.values { try? await cache.waitUntilSynced() }
                if !Task.isCancelled { self.synced.store(true, ordering: .releasing) }
            }
            await group.waitForAll()
        }
    }

    /// A write through this manager starts or ended: reads go to ZooKeeper for a while.
    func noteWrite() { lastWrite.withLock { $0 = .now } }

    var cached: Bool {
        guard synced.load(ordering: .acquiring) else { return false }
        guard let last = lastWrite.withLock({ $0 }) else { return true }
        return ContinuousClock.now - last > Self.freshAfterWrite
    }

    /// The encoded answer for `key` from the copy (nil: not served from the copy now, or absent
    /// there: ask `one`). Validated and encoded once per version.
    func encodedOne(
        _ key: DocumentKey,
        encode: (StoredDocument) throws -> [UInt8]
    ) throws -> (
        body: [UInt8], version: Int32
    )? {
        guard cached, let cache = caches[key.kind], let snapshot = cache.snapshot(key.name) else { return nil }
        if let hit = encoded.withLock({ $0[key] }), hit.mzxid == snapshot.stat.mzxid { return (hit.body, hit.version) }
        let stored = try store.document(key, data: snapshot.data, stat: snapshot.stat)
        let body = try encode(stored)
        encoded.withLock { $0[key] = (snapshot.stat.mzxid, body, stored.version) }
        return (body, stored.version)
    }

    func one(_ key: DocumentKey) async throws -> StoredDocument? {
        guard cached, let cache = caches[key.kind] else { return try await store.read(key) }
        guard let snapshot = cache.snapshot(key.name) else { return nil }
        return try store.document(key, data: snapshot.data, stat: snapshot.stat)
    }

    func all(_ kind: Kind) async throws -> [StoredDocument] {
        guard cached, let cache = caches[kind] else {
            return try await store.snapshot(kinds: [kind]).documents.values.sorted {
                $0.document.name < $1.document.name
            }
        }
        return try cache.allKeys().sorted().compactMap { name in
            guard let snapshot = cache.snapshot(name) else { return nil }
            return try store.document(DocumentKey(kind: kind, name: name), data: snapshot.data, stat: snapshot.stat)
        }
    }
}
