import Foundation
import Reconciler
public import ZKModel
public import ZooKeeper

/// A desired-state document as stored, with its znode version.
public struct StoredDocument: Sendable, Hashable {
    public var document: Document
    /// The znode's data version: the optimistic-concurrency token (generation - 1).
    public var version: Int32
    /// Milliseconds since the epoch of the last change.
    public var modified: Int64

    public init(document: Document, version: Int32, modified: Int64 = 0) {
        self.document = document
        self.version = version
        self.modified = modified
    }
}

/// Every desired-state document at one moment, with the folder versions used as locks.
public struct ClusterSnapshot: Sendable {
    public var documents: [DocumentKey: StoredDocument]
    public var folderVersions: [Kind: Int32]
    /// Documents that do not read (written behind the manager's back), each with what is wrong:
    /// a change that writes them or fails near them says so; other changes go ahead.
    public var unreadable: [DocumentKey: String]

    public init(
        documents: [DocumentKey: StoredDocument],
        folderVersions: [Kind: Int32],
        unreadable: [DocumentKey: String] = [:]
    ) {
        self.documents = documents
        self.folderVersions = folderVersions
        self.unreadable = unreadable
    }

    public var allDocuments: [DocumentKey: Document] { documents.mapValues(\.document) }
}

/// The manager's view of ZooKeeper: reads and writes desired state under one `ZNodeTree`.
public struct ClusterStore: Sendable {
    public let zk: ZooKeeperClient
    public let tree: ZNodeTree
    /// ACL of the desired-state nodes: with credentials, only the manager's identity may write.
    public let desiredACL: [ACL]
    let validator = DocumentValidator()

    /// ACL of the status, agent and election folders: the agents' identity may add and remove
    /// nodes there; the manager may do anything; everyone may read.
    public let agentACL: [ACL]

    /// ACL of the auth subtree (token hashes): the manager's identity only, not even world read.
    public let privateACL: [ACL]

    /// `agentCredential` (`user:password`) names the identity agents authenticate as; without
    /// manager credentials the whole tree is open (a development cluster).
    public init(zk: ZooKeeperClient, tree: ZNodeTree, agentCredential: String? = nil) {
        self.zk = zk
        self.tree = tree
        let secured = !zk.configuration.credentials.isEmpty
        self.desiredACL = secured ? ACL.creatorAllAnyoneRead : ACL.openUnsafe
        self.privateACL = secured ? [.creator(.all)] : ACL.openUnsafe
        if secured,
            let agent = agentCredential.flatMap({ ACL.digest(credential: $0, [.read, .write, .create, .delete]) })
        {
            self.agentACL = ACL.creatorAllAnyoneRead + [agent]
        } else {
            self.agentACL = ACL.openUnsafe
        }
    }

    /// Creates the tree's folders if missing: desired state writable only by the manager, status
    /// and registrations by the agents.
    public func bootstrap() async throws {
        let layout = Array("{\"layoutVersion\":\(ZNodeTree.layoutVersion)}".utf8)
        // The meta node is written last: when it holds this layout, every folder exists.
        if let (data, _) = try? await zk.getData(tree.meta), data == layout { return }
        for folder in tree.managerFolders {
            try await zk.ensurePath(folder, acl: desiredACL)
        }
        for folder in tree.agentFolders {
            try await zk.ensurePath(folder, acl: agentACL)
        }
        if try await zk.getData(tree.meta).data != layout {
            try await zk.setData(tree.meta, data: layout)
        }
    }

    /// Reads every desired-state document, after a `sync` so that writes by any session are seen.
    public func snapshot(kinds: [Kind] = Kind.allCases) async throws -> ClusterSnapshot {
        try await zk.sync(tree.desired)
        var documents: [DocumentKey: StoredDocument] = [:]
        var folderVersions: [Kind: Int32] = [:]
        var unreadable: [DocumentKey: String] = [:]
        // Every folder at once, each listed with its stat in one request, then its documents.
        try await withThrowingTaskGroup(of: FolderRead?.self) { group in
            for kind in kinds {
                group.addTask { try await self.folderRead(kind) }
            }
            for try await folder in group {
                guard let folder else { continue }
                folderVersions[folder.kind] = folder.version
                for read in folder.reads {
                    if let stored = read.stored { documents[stored.document.key] = stored }
                    if let problem = read.problem { unreadable[read.key] = problem }
                }
            }
        }
        return ClusterSnapshot(documents: documents, folderVersions: folderVersions, unreadable: unreadable)
    }

    /// One kind's folder as a snapshot reads it: its version and each document's read.
    struct FolderRead: Sendable {
        var kind: Kind
        var version: Int32
        var reads: [StoredRead]
    }

    /// Nil when the folder does not exist (a tree not bootstrapped yet).
    private func folderRead(_ kind: Kind) async throws -> FolderRead? {
        guard let (names, stat) = try await zk.childrenAndStat(tree.desired(kind)) else { return nil }
        let reads = try await withThrowingTaskGroup(of: StoredRead.self) { group in
            for name in names {
                group.addTask { try await self.storedRead(DocumentKey(kind: kind, name: name)) }
            }
            var reads: [StoredRead] = []
            for try await read in group { reads.append(read) }
            return reads
        }
        return FolderRead(kind: kind, version: stat.version, reads: reads)
    }

    /// What the agents last reported of a document; nil if nothing yet.
    public func status(_ key: DocumentKey) async throws -> ObjectStatus? {
        try await StatusWriter.read(key, zk: zk, tree: tree)
    }

    /// One document as a snapshot reads it: stored, absent, or there but not readable (why).
    struct StoredRead: Sendable {
        var key: DocumentKey
        var stored: StoredDocument?
        var problem: String?
    }

    func storedRead(_ key: DocumentKey) async throws -> StoredRead {
        do {
            return StoredRead(key: key, stored: try await read(key))
        } catch let error as ManagerError where error.code == .invalidInput {
            return StoredRead(key: key, problem: error.message)
        }
    }

    /// Reads one document; nil if it does not exist.
    public func read(_ key: DocumentKey) async throws -> StoredDocument? {
        let path = tree.desired(key)
        let data: [UInt8]
        let stat: Stat
        do {
            (data, stat) = try await zk.getData(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
        return try document(key, data: data, stat: stat)
    }

    /// The document `data` (read at `stat` from `key`'s znode) holds, validated.
    public func document(_ key: DocumentKey, data: [UInt8], stat: Stat) throws -> StoredDocument {
        try document(key, data: data, version: stat.version, modified: stat.mtime)
    }

    /// The document `data` holds at data version `version`, validated.
    func document(_ key: DocumentKey, data: [UInt8], version: Int32, modified: Int64) throws -> StoredDocument {
        let path = tree.desired(key)
        let value: JSONValue
        do {
            value = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw ManagerError(.invalidInput, "\(path) does not hold JSON; repair or delete it")
        }
        switch validator.validate(value) {
        case .success(var document):
            guard document.key == key else {
                throw ManagerError(.invalidInput, "\(path) holds \(document.key); repair or delete it")
            }
            document.metadata.generation = Int(version) + 1
            return StoredDocument(document: document, version: version, modified: modified)
        case .failure(let invalid):
            throw ManagerError(.invalidInput, "\(path) holds an invalid document (\(invalid)); repair or delete it")
        }
    }

    /// A Deploy's release pointer and current release; nil when it has none yet.
    public func releaseState(_ deploy: String) async throws -> ReleasePlanner.Current? {
        let data: [UInt8]
        let stat: Stat
        do {
            (data, stat) = try await zk.getData(tree.releases(deploy: deploy))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
        guard let pointer = try? Payload.decode(ReleasePointer.self, from: data, path: tree.releases(deploy: deploy))
        else {
            throw ManagerError(
                .invalidInput,
                "\(tree.releases(deploy: deploy)) does not hold a release pointer; repair or delete it"
            )
        }
        return ReleasePlanner.Current(
            pointer: pointer,
            pointerVersion: stat.version,
            release: try await release(deploy, pointer.current)
        )
    }

    public func release(_ deploy: String, _ number: Int) async throws -> Release? {
        do {
            let (data, _) = try await zk.getData(tree.release(deploy: deploy, number: number))
            return try Payload.decode(Release.self, from: data, path: tree.release(deploy: deploy, number: number))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Every release of a Deploy, oldest first.
    /// Every release kept, oldest first; read all at once (one round trip's wait, not one each).
    public func releases(_ deploy: String) async throws -> [Release] {
        let numbers = try await releaseNumbers(deploy)
        return try await withThrowingTaskGroup(of: (Int, Release?).self) { group in
            for (index, number) in numbers.enumerated() {
                group.addTask { (index, try await self.release(deploy, number)) }
            }
            var found = [Release?](repeating: nil, count: numbers.count)
            for try await (index, release) in group { found[index] = release }
            return found.compactMap { $0 }
        }
    }

    /// The numbers of the releases kept, ascending (their node names; none read).
    public func releaseNumbers(_ deploy: String) async throws -> [Int] {
        do {
            return try await zk.children(tree.releases(deploy: deploy)).compactMap { Int($0.dropFirst(2)) }.sorted()
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        }
    }
}
