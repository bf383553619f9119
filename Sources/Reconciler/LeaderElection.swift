public import Logging
import ZKModel
public import ZooKeeper

/// Leader election with ephemeral sequential znodes: each candidate watches only its predecessor.
///
/// The leader runs `whileLeader` and is cancelled as soon as its connection is suspended or its
/// session expires. Every write it makes through `Leadership.multi` is fenced: the transaction
/// checks the leader's own election znode, so a deposed leader can never write.
public struct LeaderElection: Sendable {
    public let zk: ZooKeeperClient
    /// The election folder, e.g. `<root>/elections/scheduler`.
    public let folder: String
    /// This candidate's identity, stored in its znode.
    public let identity: String
    let logger: Logger

    public init(
        zk: ZooKeeperClient,
        folder: String,
        identity: String,
        logger: Logger = Logger(label: "atlantis.election")
    ) {
        self.zk = zk
        self.folder = folder
        self.identity = identity
        self.logger = logger
    }

    /// What a leader holds while it leads.
    public struct Leadership: Sendable {
        public let zk: ZooKeeperClient
        /// The leader's own election znode.
        public let node: String

        /// A transaction that only commits while this candidate still leads.
        @discardableResult
        public func multi(_ operations: [Operation]) async throws -> [OperationResult] {
            let results = try await zk.multi([.check(path: node, version: 0)] + operations)
            return Array(results.dropFirst())
        }
    }

    /// The identity of the current leader, if any.
    public func currentLeader() async throws -> String? {
        guard let first = try await zk.children(folder).sorted(by: Self.sequenceOrder).first else { return nil }
        do {
            return String(decoding: try await zk.getData(ZNodeTree.child(first, of: folder)).data, as: UTF8.self)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Campaigns until cancelled; runs `whileLeader` each time this candidate becomes leader.
    public func run(whileLeader: @escaping @Sendable (Leadership) async throws -> Void) async throws {
        var node: String?
        defer {
            if let node {
                let zk = self.zk
                Task { try? await zk.delete(node) }
            }
        }
        while !Task.isCancelled {
            do {
                try await zk.waitConnected(timeout: .seconds(3600))
                try await zk.ensurePath(folder)
                if let existing = node, try await zk.exists(existing)?.ephemeralOwner != zk.sessionID {
                    node = nil  // gone with an expired session, or deleted
                }
                if node == nil {
                    // A create whose reply was lost (connection loss, timeout) left a node of
                    // ours: take it rather than queue behind it for ever.
                    node = try await adoptOwnCandidate()
                }
                if node == nil {
                    node = try await zk.create(
                        ZNodeTree.child("c-", of: folder),
                        data: Array(identity.utf8),
                        mode: .ephemeralSequential
                    )
                }
                guard let mine = node else { continue }
                let name = String(mine.split(separator: "/").last!)
                let candidates = try await zk.children(folder).sorted(by: Self.sequenceOrder)
                guard let index = candidates.firstIndex(of: name) else {
                    node = nil
                    continue
                }
                if index > 0 {
                    let predecessor = ZNodeTree.child(candidates[index - 1], of: folder)
                    let (stat, watch) = try await zk.existsAndWatch(predecessor)
                    if stat != nil { _ = await watch.wait() }
                    continue
                }
                logger.info(
                    "election.leading",
                    metadata: ["election.folder": "\(folder)", "election.id": "\(identity)"]
                )
                await lead(Leadership(zk: zk, node: mine), whileLeader: whileLeader)
                logger.info(
                    "election.stopped_leading",
                    metadata: ["election.folder": "\(folder)", "election.id": "\(identity)"]
                )
                // Work that ends by itself is not restarted in a tight loop.
                try await Task.sleep(for: .milliseconds(200))
            } catch is CancellationError {
                return
            } catch {
                logger.warning("election.error", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// This session's own candidate node with this identity, if one exists (the lowest; any
    /// others are deleted).
    private func adoptOwnCandidate() async throws -> String? {
        let session = zk.sessionID
        var mine: [String] = []
        for name in try await zk.children(folder).sorted(by: Self.sequenceOrder) {
            let path = ZNodeTree.child(name, of: folder)
            guard let stat = try await zk.exists(path), stat.ephemeralOwner == session, session != 0 else { continue }
            guard let (data, _) = try? await zk.getData(path), data == Array(identity.utf8) else { continue }
            mine.append(path)
        }
        for extra in mine.dropFirst() { try? await zk.delete(extra) }
        if let first = mine.first {
            logger.info("election.adopted_candidate", metadata: ["election.node": "\(first)"])
        }
        return mine.first
    }

    /// Runs the leader's work until it ends, the connection is suspended or lost, or the
    /// leader's own election node is gone (deleted by hand, or a fence found it missing).
    private func lead(
        _ leadership: Leadership,
        whileLeader: @escaping @Sendable (Leadership) async throws -> Void
    ) async {
        let events = zk.sessionEvents()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await whileLeader(leadership)
                } catch {
                    logger.warning("election.leader_work_failed", metadata: ["error": "\(error)"])
                }
            }
            group.addTask {
                // Subscribed before checking, so no suspension slips between the two.
                if !zk.isConnected { return }
                for await event in events {
                    switch event {
                    case .suspended, .expired, .closed: return
                    case .connected: continue
                    }
                }
            }
            group.addTask {
                // The node is what the fence checks: without it no write can commit, so the
                // term is over.
                while !Task.isCancelled {
                    guard let (stat, watch) = try? await zk.existsAndWatch(leadership.node), stat != nil else {
                        logger.warning("election.node_gone", metadata: ["election.node": "\(leadership.node)"])
                        return
                    }
                    switch await watch.wait() {
                    case .deleted, .sessionLost: return
                    default: continue
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        // After a suspension, wait to learn whether the session (and so our node) survived.
        try? await zk.waitConnected(timeout: zk.configuration.sessionTimeout * 2)
    }

    static func sequenceOrder(_ a: String, _ b: String) -> Bool {
        (a.split(separator: "-").last ?? "") < (b.split(separator: "-").last ?? "")
    }
}
