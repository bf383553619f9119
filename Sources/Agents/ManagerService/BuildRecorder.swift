import Logging
public import Manager
import Reconciler
import ZKModel
import ZooKeeper

/// The manager's side of builds, driven by the builder's status: a finished build is recorded
/// (audit, and a Deploy's own build becomes its release), and a Deploy's ref seen at a new
/// commit becomes a build. Every manager runs one; their writes are version-checked, so two
/// never record a build twice.
public struct BuildRecorder: Sendable {
    let manager: Manager
    let statuses: ZNodeCache
    let sources: ZNodeCache
    let logger: Logger

    public init(manager: Manager) {
        self.manager = manager
        self.statuses = ZNodeCache(zk: manager.store.zk, folder: manager.store.tree.buildStatus, logger: manager.logger)
        self.sources = ZNodeCache(
            zk: manager.store.zk,
            folder: manager.store.tree.sourceRevisions,
            logger: manager.logger
        )
        self.logger = manager.logger
    }

    public func run() async {
        let tree = manager.store.tree
        for folder in [tree.buildStatus, tree.sourceRevisions] { try? await manager.store.zk.ensurePath(folder) }
        let manager = self.manager
        let sources = self.sources
        let outcomes = Controller(
            name: "manager-builds",
            reconciler: ClosureReconciler { id in
                try await manager.recordBuildOutcome(id)
                return .done
            },
            sources: [statuses],
            informers: [statuses],
            configuration: .init(workers: 2, resyncEvery: .seconds(60)),
            logger: logger
        )
        let triggers = Controller(
            name: "manager-source-triggers",
            reconciler: ClosureReconciler { deploy in
                guard let data = sources.snapshot(deploy)?.data,
                    let revision = try? Payload.decode(
                        SourceRevision.self,
                        from: data,
                        path: manager.store.tree.sourceRevision(deploy: deploy)
                    ),
                    let commit = revision.commit
                else { return .done }
                do {
                    try await manager.triggerDeployBuild(
                        deploy: deploy,
                        commit: commit,
                        requestedBy: "deploy:\(deploy)"
                    )
                } catch let error as ManagerError where error.code == .notFound || error.code == .invalidInput {
                    return .done  // the Deploy is gone or no longer builds
                }
                return .done
            },
            sources: [sources],
            informers: [sources],
            configuration: .init(workers: 1, resyncEvery: .seconds(60)),
            logger: logger
        )
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await outcomes.run() }
            group.addTask { try? await triggers.run() }
        }
    }
}
