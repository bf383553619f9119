import Foundation
import Logging
import ZKModel
import ZooKeeper

/// Keeps `<root>/agents/supervisors/<host id>` (ephemeral) present with this supervisor's
/// registration: created at start, rewritten when it changes, created again after a session
/// expiry. A node left by this host's previous process (whose session has not yet timed out)
/// is waited out rather than taken over, so two live supervisors never share one id.
struct SupervisorRegistrar: Sendable {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let registration: SupervisorRegistration
    let logger: Logger

    var path: String { tree.supervisor(registration.id) }

    func run() async {
        let events = zk.sessionEvents()
        await ensureRegistered()
        for await event in events {
            if case .connected = event { await ensureRegistered() }
        }
    }

    /// Removes the registration (graceful shutdown): the scheduler sees the host leave at once.
    func deregister() async {
        if let stat = try? await zk.exists(path), stat.ephemeralOwner == zk.sessionID {
            try? await zk.delete(path)
        }
    }

    private func ensureRegistered() async {
        let body: [UInt8]
        do {
            body = try Payload.encode(registration)
        } catch {
            logger.error("supervisor.registration_unencodable", metadata: ["error": "\(error)"])
            return
        }
        while !Task.isCancelled {
            do {
                try await zk.ensurePath(tree.supervisors)
                let (stat, watch) = try await zk.existsAndWatch(path)
                if let stat {
                    if stat.ephemeralOwner == zk.sessionID {
                        let (data, _) = try await zk.getData(path)
                        if data != body { try await zk.setData(path, data: body) }
                        return
                    }
                    logger.info(
                        "supervisor.registration_waiting",
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
                logger.info("supervisor.registered", metadata: ["path": "\(path)"])
                return
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            } catch {
                if Task.isCancelled { return }
                logger.warning("supervisor.registration_failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
