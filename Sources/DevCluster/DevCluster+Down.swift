import AsyncHTTPClient
import Docker
import Foundation
import Spawn

extension DevCluster {
    /// Stops every agent, removes the cluster's containers, stops ZooKeeper, the registry and the
    /// dockerd `up` started.
    public func down() async {
        if let region { step("region \(region) (\(address), \(directory))") }
        step("stopping the agents")
        for agent in agents.reversed() {
            if let pid = pid(agent) {
                await Spawn.stop(pid)
                print("    \(agent.name): stopped")
            }
            try? FileManager.default.removeItem(atPath: pidFile(agent))
        }
        step("removing the cluster's containers")
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(http: http)
        var removed = 0
        var stuck: [String] = []
        if (try? await docker.ping()) != nil {
            for host in hostIDs {
                for container in (try? await docker.containers(labels: ["atlantis.host=\(host)"])) ?? [] {
                    do {
                        try await docker.remove(container: container.id)
                        removed += 1
                    } catch {
                        // Said, not hidden: the Engine keeps it (a removal stuck on a busy mount).
                        stuck.append("\(container.names.first ?? container.id): \(error.message)")
                    }
                }
            }
        }
        try? await http.shutdown()
        print("    \(removed) removed")
        for line in stuck {
            print("    the Engine could not remove \(line); the next cluster runs its instance under another name")
        }
        step("stopping ZooKeeper, slapd, the registry and dockerd (if `up` started it)")
        _ = script("zk.sh", "stop", "dev")
        _ = script("ldap.sh", "stop", "dev")
        _ = script("docker.sh", "down")
        print("local Atlantis is down")
    }
}
