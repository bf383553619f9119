public import Logging
public import ZooKeeper

/// Keeps an agent's ephemeral registration (`<root>/agents/<role>/<id>`) present: created at
/// start, rewritten when it changes, created again after a session expiry. A node left by the
/// same id's previous process (whose session has not yet timed out) is waited out rather than
/// taken over, so two live agents never share one id.
public struct EphemeralRegistrar: Sendable {
    public let zk: ZooKeeperClient
    public let path: String
    let body: [UInt8]
    /// `supervisor`, `builder`: the prefix of the log events.
    let role: String
    let logger: Logger

    public init(zk: ZooKeeperClient, path: String, body: [UInt8], role: String, logger: Logger) {
        self.zk = zk
        self.path = path
        self.body = body
        self.role = role
        self.logger = logger
    }

    public func run() async {
        let events = zk.sessionEvents()
        await ensureRegistered()
        for await event in events {
            if case .connected = event { await ensureRegistered() }
        }
    }

    /// Removes the registration (graceful shutdown): the scheduler sees the host leave at once.
    public func deregister() async {
        if let stat = try? await zk.exists(path), stat.ephemeralOwner == zk.sessionID {
            try? await zk.delete(path)
        }
    }

    private func ensureRegistered() async {
        while !Task.isCancelled {
            do {
                try await zk.ensurePath(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
                let (stat, watch) = try await zk.existsAndWatch(path)
                if let stat {
                    if stat.ephemeralOwner == zk.sessionID {
                        let (data, _) = try await zk.getData(path)
                        if data != body { try await zk.setData(path, data: body) }
                        return
                    }
                    logger.info(
                        "\(role).registration_waiting",
                        metadata: ["path": "\(path)", "reason": "held by an older session"]
                    )
                    _ = await watch.wait()
                    continue
                }
                try await zk.create(
                    path,
                    data: body,
                    mode: .ephemeral,
                    acl: zk.configuration.credentials.isEmpty ? ACL.openUnsafe : ACL.creatorAllAnyoneRead
                )
                logger.info("\(role).registered", metadata: ["path": "\(path)"])
                return
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            } catch {
                if Task.isCancelled { return }
                logger.warning("\(role).registration_failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
