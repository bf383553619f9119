import Foundation
import ZKModel
import ZooKeeper

/// A manager started for another region's ensemble: it would write one region's keys into another's tree.
public struct RegionMismatch: Error, CustomStringConvertible {
    public let expected: String
    public let found: String
    public let path: String
    public var description: String {
        "this ZooKeeper tree belongs to region \"\(found)\" (\(path)), not \"\(expected)\": point --zk at region \(expected)'s ensemble, or start the manager with --region \(found)"
    }
}

extension ClusterStore {
    /// Marks the tree as region `name`'s (`<root>/region`, written once, by the manager), or checks
    /// that it already is: a manager pointed at another region's ensemble refuses to start.
    public func claimRegion(_ name: String) async throws {
        let path = tree.region
        let marker = Array(RegionMarker(name: name).json.utf8)
        try await zk.ensurePath(tree.root, acl: desiredACL)
        do {
            try await zk.create(path, data: marker, acl: desiredACL)
            return
        } catch let error as ZooKeeperError where error.code == .nodeExists {}
        let (data, _) = try await zk.getData(path)
        let found = (try? JSONDecoder().decode(RegionMarker.self, from: Data(data)))?.name ?? "(unreadable)"
        guard found == name else { throw RegionMismatch(expected: name, found: found, path: path) }
    }
}
