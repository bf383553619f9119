import Foundation
import Manager
import ManagerAPI
import ServiceLifecycle
import ZKModel
import ZooKeeper

/// The events of one Deploy, fed by ZooKeeper watches: every release (replayed after
/// `Last-Event-ID` from the release history, which never changes), and the rollout's progress
/// whenever the Deploy's status, its release pointer or a router's report changes. Event ids are
/// ZooKeeper transaction ids, so any manager can resume any client's stream.
struct DeployEventSource: Sendable {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let watcher: RolloutWatcher
    let deploy: String
    /// Without a notification, look again after this (a supervisor's confirmation is not watched).
    var recheck: Duration = .milliseconds(250)
    /// A comment line at least this often, so that a client that went away is noticed.
    var keepalive: Duration = .seconds(15)

    /// Emits events until the Deploy is deleted (after a `deleted` event), `emit` throws, or the
    /// manager shuts down (the client resumes at another manager, or this one when it is back).
    func run(after lastEventID: Int64?, emit: (DeployEvent?) async throws -> Void) async throws {
        var sentReleases = lastEventID ?? 0
        // Release nodes are written once: each is read once per stream, not at every look.
        var examined: Set<String> = []
        var lastProgress: (kind: DeployEvent.Kind, line: String)?
        var newestID = lastEventID ?? 0
        var quietSince = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let group = WatchGroup()
            defer { group.cancelAll() }
            let notify: @Sendable (WatchEvent) -> Void = { _ in signal.yield() }
            let desiredPath = tree.desired(DocumentKey(kind: .deploy, name: deploy))
            guard let deployStat = try await zk.exists(desiredPath, group: group, onEvent: notify),
                let (deployData, _) = try? await zk.getData(desiredPath)
            else {
                var event = DeployEvent(id: newestID, kind: .deleted, deploy: deploy)
                event.line = "the Deploy was deleted"
                try await emit(event)
                return
            }
            newestID = max(newestID, deployStat.mzxid)
            let generation = Self.generation(deployData)

            // Releases: the pointer moves with each one; each release node is written once.
            let pointerPath = tree.releases(deploy: deploy)
            var current = 0
            if let (data, stat) = try? await zk.getData(pointerPath, group: group, onEvent: notify) {
                newestID = max(newestID, stat.mzxid)
                current = (try? Payload.decode(ReleasePointer.self, from: data, path: pointerPath))?.current ?? 0
                for child in ((try? await zk.children(pointerPath)) ?? []).sorted() where !examined.contains(child) {
                    let path = ZNodeTree.child(child, of: pointerPath)
                    guard let (data, stat) = try? await zk.getData(path) else { continue }
                    examined.insert(child)
                    guard stat.czxid > sentReleases,
                        let release = try? Payload.decode(Release.self, from: data, path: path)
                    else { continue }
                    var event = DeployEvent(id: stat.czxid, kind: .release, deploy: deploy)
                    event.release = release.number
                    event.image = release.image
                    event.cause = release.cause
                    try await emit(event)
                    sentReleases = stat.czxid
                    quietSince = .now
                }
            } else {
                _ = try await zk.exists(pointerPath, group: group, onEvent: notify)
            }

            // The scheduler's status of the Deploy, and what every router reports.
            let statusPath = tree.status(DocumentKey(kind: .deploy, name: deploy))
            var status: ObjectStatus?
            if let (data, stat) = try? await zk.getData(statusPath, group: group, onEvent: notify) {
                newestID = max(newestID, stat.mzxid)
                status = try? Payload.decode(ObjectStatus.self, from: data, path: statusPath)
            } else {
                _ = try await zk.exists(statusPath, group: group, onEvent: notify)
            }
            let routers = (try? await zk.children(tree.routers)) ?? []
            for id in routers {
                if let (_, stat) = try? await zk.getData(tree.router(id), group: group, onEvent: notify) {
                    newestID = max(newestID, stat.mzxid)
                }
            }

            let progress = try await watcher.look(deploy: deploy, release: current, generation: generation)
            let kind: DeployEvent.Kind
            switch progress.outcome {
            case .done?: kind = .done
            case .rolledBack?: kind = .rolledBack
            default: kind = .progress
            }
            if lastProgress?.kind != kind || lastProgress?.line != progress.line {
                var event = DeployEvent(id: newestID, kind: kind, deploy: deploy)
                event.release = current
                event.line = progress.line
                if let rollout = status?.rollout, rollout.release == current {
                    event.healthy = rollout.healthy
                    event.desired = rollout.desired
                    event.zones = rollout.zones
                }
                event.routed = kind == .done
                try await emit(event)
                lastProgress = (kind, progress.line)
                quietSince = .now
            }
            if ContinuousClock.now - quietSince >= keepalive {
                try await emit(nil)
                quietSince = .now
            }
            await Self.wait(signals, atMost: recheck)
        }
    }

    private static func generation(_ data: [UInt8]) -> Int {
        guard let value = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            let document = try? DocumentValidator().validate(value).get()
        else { return 1 }
        return document.metadata.generation ?? 1
    }

    private static func wait(_ signals: AsyncStream<Void>, atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = signals.makeAsyncIterator()
                _ = await iterator.next()
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}
