import Foundation
import Synchronization
import ZKModel

/// The cluster snapshot a manager last read or wrote, kept so that an apply plans without
/// reading the whole tree again (a snapshot is every kind's folder and every document: at 1,000
/// Deploys, thousands of reads for a one-line change).
///
/// Nothing is trusted from it: every write of a desired document bumps its kind's folder
/// (`ApplyPlan.folderBumps`), so a transaction planned on a remembered snapshot also checks every
/// folder at the version remembered, and commits only if nothing in the tree changed since. When
/// a check fails, the snapshot is forgotten and the tree read again. A refusal or a plan with
/// nothing to do is never decided on a remembered snapshot: it is decided again on one read now.
final class SnapshotMemory: Sendable {
    private struct State {
        var snapshot: ClusterSnapshot?
        /// Moves with every change of `snapshot`: a write folds its changes in only into the
        /// snapshot it planned on.
        var generation = 0
    }

    private let state = Mutex(State())

    /// The snapshot remembered, and its generation.
    func recall() -> (snapshot: ClusterSnapshot, generation: Int)? {
        state.withLock { s in s.snapshot.map { ($0, s.generation) } }
    }

    /// A snapshot just read from the tree; its generation.
    func remember(_ snapshot: ClusterSnapshot) -> Int {
        state.withLock { s in
            s.snapshot = snapshot
            s.generation += 1
            return s.generation
        }
    }

    func forget() {
        state.withLock { s in
            s.snapshot = nil
            s.generation += 1
        }
    }

    /// After `plan` (made on the snapshot of `generation`) committed: its documents as written
    /// (`written`, each as stored at its new version) and its folders bumped. Forgotten instead
    /// when the snapshot changed meanwhile, or a written document does not read back.
    func committed(_ plan: ApplyPlan, written: [DocumentKey: StoredDocument], generation: Int) {
        state.withLock { s in
            s.generation += 1
            guard generation + 1 == s.generation, var snapshot = s.snapshot else {
                s.snapshot = nil
                return
            }
            for action in plan.actions {
                switch action {
                case .create, .update:
                    guard let stored = written[action.key] else {
                        s.snapshot = nil
                        return
                    }
                    snapshot.documents[action.key] = stored
                case .delete:
                    snapshot.documents[action.key] = nil
                }
                snapshot.unreadable[action.key] = nil
            }
            for (kind, version) in plan.folderBumps { snapshot.folderVersions[kind] = version + 1 }
            s.snapshot = snapshot
        }
    }
}
