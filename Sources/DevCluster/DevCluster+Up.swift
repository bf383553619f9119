import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Secrets
import Spawn
import ZKAccess
import ZKModel
import ZooKeeper

extension DevCluster {
    /// Starts what is not running yet (ZooKeeper, dockerd, the registry, base images, the agents)
    /// and returns once every supervisor has registered and the router answers.
    public func up(timeout: Duration) async throws(DevClusterError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DevClusterError("cannot create \(directory): \(error)")
        }
        step("installing what is missing (scripts/install.sh)")
        guard script("install.sh") == 0 else { throw DevClusterError("scripts/install.sh failed") }
        step("ZooKeeper on \(zooKeeper) (data and log under \(directory)/zk-dev)")
        guard script("zk.sh", zooKeeperEnsemble ? "ensemble" : "standalone", "dev", "\(zooKeeperPort)") == 0 else {
            throw DevClusterError("ZooKeeper did not start")
        }
        if let upstream = registryUpstream {
            step("the region's registry on \(registry), mirroring \(upstream) (pull-through; scripts/docker.sh mirror)")
            guard script("docker.sh", "mirror") == 0 else {
                throw DevClusterError("the registry did not start; see \(directory)/registry/registry.log")
            }
        } else {
            step("dockerd, the image registry on \(registry), base images (scripts/docker.sh up)")
            guard script("docker.sh", "up") == 0 else {
                throw DevClusterError("Docker did not start; see \(directory)/dockerd.log")
            }
            step("the build templates' base images: busybox, and python from debootstrap (scripts/docker.sh bases)")
            guard script("docker.sh", "bases") == 0 else {
                throw DevClusterError("the base images could not be built; see the lines above")
            }
        }
        step("slapd on \(address):\(ldapPort): the example directory of users and teams (examples/ldap)")
        guard script("ldap.sh", "up", "dev", "\(ldapPort)") == 0 else {
            throw DevClusterError("slapd did not start; see \(directory)/ldap-dev/slapd.log")
        }
        do {
            try ZooKeeperIdentity.generate(in: identities)
        } catch {
            throw DevClusterError("cannot write the ZooKeeper identities to \(identities): \(error)")
        }
        print("    ZooKeeper identities per role: \(identities)/*.json (mode 0600)")
        do {
            try SecretBox.generate(keyFile: secretsKey)
        } catch {
            throw DevClusterError("cannot write the secrets key \(secretsKey): \(error)")
        }
        try startAgents()
        step("waiting for the supervisors to register and the router to answer")
        try await waitUntilReady(timeout: timeout)
    }

    private func startAgents() throws(DevClusterError) {
        for agent in agents {
            if let pid = pid(agent) {
                print("    \(agent.name): already running (pid \(pid))")
                continue
            }
            let pid = Spawn.daemon(
                [agent.program ?? binary] + agent.arguments + ["--log-level", "info"],
                log: log(agent)
            )
            guard pid > 0 else { throw DevClusterError("could not start \(agent.name)") }
            do {
                try "\(pid)\n".write(toFile: pidFile(agent), atomically: true, encoding: .utf8)
            } catch {
                throw DevClusterError("could not write \(pidFile(agent)): \(error)")
            }
            print("    \(agent.name): started (pid \(pid), log \(log(agent)))")
            fflush(nil)
        }
    }

    private func waitUntilReady(timeout: Duration) async throws(DevClusterError) {
        let zk: ZooKeeperClient
        do {
            zk = try await ZooKeeperClient.connect(ZooKeeperConfiguration(connectionString: zooKeeper))
        } catch {
            throw DevClusterError("ZooKeeper at \(zooKeeper) is unreachable: \(error)")
        }
        let tree = ZNodeTree.standard
        let expected = Set(hostIDs)
        let deadline = ContinuousClock.now + timeout
        var registered: Set<String> = []
        var routerUp = false
        var managerUp = false
        var exited: DevAgent?
        while ContinuousClock.now < deadline {
            registered = Set((try? await zk.children(tree.supervisors)) ?? []).intersection(expected)
            var routersUp = true
            for admin in routerAdmins where await !Self.answers("http://\(admin)/health") { routersUp = false }
            routerUp = routersUp
            managerUp = await Self.answers("\(managerURL)/healthz")
            if registered == expected && routerUp && managerUp { break }
            exited = agents.first { pid($0) == nil }
            if exited != nil { break }
            try? await Task.sleep(for: .milliseconds(200))
        }
        await zk.close()
        if let exited { throw DevClusterError("\(exited.name) exited; its log: \(log(exited))") }
        guard registered == expected, routerUp, managerUp else {
            throw DevClusterError(
                "not ready after \(timeout): supervisors \(registered.sorted()) of \(expected.sorted()), router \(routerUp ? "up" : "down"), manager \(managerUp ? "up" : "down")"
            )
        }
        print(
            "local Atlantis\(region.map { " region \($0)" } ?? "") is up: manager \(managerURL), ZooKeeper \(zooKeeper), supervisors \(registered.sorted().joined(separator: ", ")), routers \(zones.indices.map { "http://\(address):\(routerPort(zone: $0)) (\(zones[$0]))" }.joined(separator: ", "))\n    dashboard: \(managerURL)/ui (log in as a directory user, e.g. ada / ada-pw)"
        )
    }

    static func answers(_ url: String) async -> Bool {
        let request = HTTPClientRequest(url: url)
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status.code == 200
    }
}
