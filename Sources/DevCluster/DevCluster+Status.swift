import Foundation
import ZKModel
import ZooKeeper

extension DevCluster {
    /// Prints what of the cluster runs; true when every agent and ZooKeeper do.
    public func status() async -> Bool {
        var down = 0
        for agent in agents {
            let name = agent.name.padding(toLength: 22, withPad: " ", startingAt: 0)
            if let pid = pid(agent) {
                print("\(name) running (pid \(pid))")
            } else {
                print("\(name) stopped")
                down += 1
            }
        }
        guard
            let zk = try? await ZooKeeperClient.connect(
                ZooKeeperConfiguration(connectionString: zooKeeper, connectTimeout: .seconds(2))
            )
        else {
            print("zookeeper              not answering on \(zooKeeper)")
            return false
        }
        let tree = ZNodeTree.standard
        print("zookeeper              serving on \(zooKeeper)")
        let supervisors = ((try? await zk.children(tree.supervisors)) ?? []).sorted()
        print("supervisors registered \(supervisors.joined(separator: ", "))")
        let instances = ((try? await zk.children(tree.instanceStatus)) ?? []).count
        print("instances reported     \(instances)")
        await zk.close()
        return down == 0
    }
}
