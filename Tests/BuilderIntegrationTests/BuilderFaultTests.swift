import Builder
import Docker
import Foundation
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// The builder when things break: it dies mid-build, the registry is down during a push.
@Suite("Builder: faults", .serialized)
struct BuilderFaultTests {
    @Test func aBuilderThatDiesMidBuildLetsGoAndTheNextOneBuildsItAgain() async throws {
        let rig = try await BuilderRig()
        let first = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(connectionString: TestZooKeeper.hosts, sessionTimeout: .seconds(4))
        )
        let (dying, _) = try rig.startBuilder(id: "b1", session: first)
        try await rig.setUp(apps: ["crash"])
        let id = try await rig.request(
            "crash",
            try await rig.upload(app: "crash", pythonApp("crash \(rig.suffix)", setup: ["sleep 5"]))
        )
        #expect(await eventually(.seconds(60)) { await rig.status(id)?.phase == .building })
        // The builder goes away mid-build and its session with it (as after SIGKILL, once the
        // session times out): its lease is an ephemeral node of that session.
        dying.cancel()
        _ = await dying.result
        try? await first.expireSessionForTesting()
        await first.close()
        #expect(await eventually(.seconds(15)) { try await rig.zk.exists(rig.tree.buildLease(id)) == nil })
        #expect(try await rig.zk.children(rig.tree.builtImages).isEmpty, "nothing recorded from the first attempt")
        #expect(await rig.status(id)?.image == nil)

        let (next, _) = try rig.startBuilder(id: "b2")
        let status = try #require(await rig.finished(id))
        #expect(status.phase == .succeeded, "\(status)")
        #expect(status.attempt == 2)
        #expect(status.builder == "b2")
        #expect(status.image != nil)
        next.cancel()
        _ = await next.result
        await rig.close()
    }

    @Test func aPushWhileTheRegistryIsDownIsRetriedAndShownUntilItReturns() async throws {
        let rig = try await BuilderRig()
        let (builder, _) = try rig.startBuilder()
        let pidFile = Repository.path("run/registry/registry.pid")
        func restartRegistry() {
            _ = Spawn.run(["/bin/bash", Repository.path("scripts/docker.sh"), "registry"])
        }
        do {
            try await rig.setUp(apps: ["offline"])
            // A git source: nothing to fetch from the registry, only the push needs it.
            let repo = try rig.repository(pythonApp("offline \(rig.suffix)"))
            // The registry scripts/docker.sh started (its pid file), else whichever serves.
            let recorded = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let found = Int32(
                Spawn.run(["pgrep", "-o", "-f", "docker-registry serve"]).output
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            )
            let pid = try #require(recorded.flatMap { Spawn.alive($0) ? $0 : nil } ?? found)
            kill(pid, SIGTERM)
            #expect(await eventually(.seconds(10)) { !Spawn.alive(pid) })
            let id = try await rig.request("offline", BuildSource(git: .init(url: repo, ref: "main")))
            let retrying = await eventually(.seconds(90)) {
                let status = await rig.status(id)
                return status?.phase == .pushing && status?.message?.contains("retrying") == true
            }
            let shown = await rig.status(id)
            #expect(retrying, "\(String(describing: shown))")
            restartRegistry()
            let status = try #require(await rig.finished(id, timeout: .seconds(90)))
            #expect(status.phase == .succeeded, "\(status)")
            #expect(status.image?.contains("@sha256:") == true)
        } catch {
            restartRegistry()
            builder.cancel()
            await rig.close()
            throw error
        }
        restartRegistry()
        builder.cancel()
        _ = await builder.result
        await rig.close()
    }
}
