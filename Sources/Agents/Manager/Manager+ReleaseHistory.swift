import Logging
import ZKModel
import ZooKeeper

extension Manager {
    /// How many releases of a Deploy are kept: the newest `keep`, and besides them every release
    /// the Deploy still uses (its pointer's current and latest, its placement's target, stable
    /// release and the releases of its placed instances). Older ones are deleted after each write
    /// that makes a release; `rollout undo --to` an older one says it does not exist.
    public struct ReleasePolicy: Sendable {
        public var keep: Int

        public init(keep: Int = 20) {
            self.keep = max(keep, 1)
        }
    }

    /// Deletes the releases of `deploy` that `policy` no longer keeps; returns how many. Best
    /// effort, like the audit's pruning: another manager pruning at once deletes the same ones.
    /// `newest`: the number of the release just made, when known (up to `keep`, nothing is read).
    @discardableResult
    public func pruneReleases(
        _ deploy: String,
        _ policy: ReleasePolicy = ReleasePolicy(),
        newest: Int? = nil
    ) async -> Int {
        if let newest, newest <= policy.keep { return 0 }
        let tree = store.tree
        let folder = tree.releases(deploy: deploy)
        guard let names = try? await store.zk.children(folder) else { return 0 }
        let numbers = names.compactMap { $0.hasPrefix("r-") ? Int($0.dropFirst(2)) : nil }.sorted()
        guard numbers.count > policy.keep else { return 0 }
        var used = Set(numbers.suffix(policy.keep))
        // What the pointer and the placement name is kept; when either cannot be read, nothing
        // is deleted.
        guard let (pointerData, _) = try? await store.zk.getData(folder),
            let pointer = try? Payload.decode(ReleasePointer.self, from: pointerData, path: folder)
        else { return 0 }
        used.formUnion([pointer.current, pointer.latest])
        let placementPath = tree.placement(deploy: deploy)
        do {
            let (data, _) = try await store.zk.getData(placementPath)
            let placement = try Payload.decode(Placement.self, from: data, path: placementPath)
            used.formUnion(placement.instances.map(\.release) + [placement.target, placement.stable].compactMap { $0 })
        } catch let error as ZooKeeperError where error.code == .noNode {
            // Not placed yet: the pointer says all.
        } catch {
            return 0
        }
        var deleted = 0
        for number in numbers where !used.contains(number) {
            if (try? await store.zk.delete(tree.release(deploy: deploy, number: number))) != nil { deleted += 1 }
        }
        if deleted > 0 {
            logger.info(
                "manager.releases_pruned",
                metadata: ["deploy": "\(deploy)", "deleted": "\(deleted)", "kept": "\(numbers.count - deleted)"]
            )
        }
        return deleted
    }
}
