import AsyncHTTPClient
import Builder
import Docker
import Foundation
import Manager
import ManagerService
import Spawn
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// The builder against the real ZooKeeper, dockerd, registry and git: sources to images.
@Suite("Builder: sources to images", .serialized)
struct BuilderIntegrationTests {
    @Test func anUploadedSourceBecomesAnImageInTheRegistryAndTheSameSourceIsNotBuiltTwice() async throws {
        try await BuilderRig.run(apps: ["web"]) { rig, logs in
            let source = try await rig.upload(app: "web", pythonApp("hello \(rig.suffix)"))
            let id = try await rig.request("web", source)
            let status = try #require(await rig.finished(id))
            #expect(status.phase == .succeeded, "\(status)")
            let image = try #require(status.image)
            #expect(image.hasPrefix("127.0.0.1:5000/apps/web@sha256:"), "\(image)")
            let digest = String(image.split(separator: "@")[1])
            // The registry holds that manifest.
            #expect(
                try await RegistryClient(address: BuilderRig.registry).manifestDigest(
                    repository: "apps/web",
                    reference: digest
                ) == digest
            )
            #expect(status.provenance?.sourceDigest == source.archive?.digest)
            #expect(status.provenance?.template == "python")
            #expect(status.provenance?.baseImage?.contains("atlantis/python@sha256:") == true)
            #expect(status.provenance?.builder == "b1")
            #expect(String(decoding: logs.read(id) ?? [], as: UTF8.self).contains("Step 1/"))
            // The same source again: the recorded image, nothing rebuilt.
            let again = try await rig.request("web", source)
            let reused = try #require(await rig.finished(again, timeout: .seconds(20)))
            #expect(reused.phase == .succeeded)
            #expect(reused.reused == true)
            #expect(reused.image == image)
            #expect(!String(decoding: logs.read(again) ?? [], as: UTF8.self).contains("Step 1/"))
            // The manager records each outcome in the audit trail once.
            #expect(try await rig.manager.recordBuildOutcome(id))
            #expect(try await !rig.manager.recordBuildOutcome(id))
            let audit = try await rig.manager.audit(app: "web", since: nil, limit: 20)
            let built = audit.map(\.record).filter { $0.action == "built" && $0.build == id }
            #expect(built.count == 1)
            #expect(built.first?.image == image)
        }
    }

    @Test func aGitRefIsBuiltAtTheCommitItPointsAtAndTheCommitIsRecorded() async throws {
        try await BuilderRig.run(apps: ["gitapp"]) { rig, _ in
            var files = pythonApp("v1").mapKeys { "svc/" + $0 }
            files["README"] = "not part of the app\n"
            let repo = try rig.repository(files)
            let source = BuildSource(git: .init(url: repo, ref: "main", path: "svc"))
            let id = try await rig.request("gitapp", source)
            let status = try #require(await rig.finished(id))
            #expect(status.phase == .succeeded, "\(status)")
            #expect(status.provenance?.commit == rig.head(repo))
            // A new commit: a new image.
            try "print('changed')\n".write(toFile: "\(repo)/svc/other.py", atomically: true, encoding: .utf8)
            try rig.commit(repo, "second")
            let next = try await rig.request("gitapp", source)
            let rebuilt = try #require(await rig.finished(next))
            #expect(rebuilt.phase == .succeeded)
            #expect(rebuilt.reused == nil)
            #expect(rebuilt.provenance?.commit == rig.head(repo))
            #expect(rebuilt.image != status.image)
        }
    }

    @Test func theStaticAndDockerfileTemplatesBuildToo() async throws {
        try await BuilderRig.run(apps: ["site", "own"]) { rig, _ in
            let site = try await rig.request(
                "site",
                try await rig.upload(
                    app: "site",
                    [
                        "atlantis.yaml": "template: static\nserve: public\n",
                        "public/index.html": "<h1>\(rig.suffix)</h1>\n",
                    ]
                )
            )
            let own = try await rig.request(
                "own",
                try await rig.upload(
                    app: "own",
                    [
                        "atlantis.yaml": "template: dockerfile\n",
                        "Dockerfile":
                            "FROM 127.0.0.1:5000/atlantis/busybox\nCOPY hello.txt /hello.txt\nRUN grep -q \(rig.suffix) /hello.txt\nCMD [\"cat\", \"/hello.txt\"]\n",
                        "hello.txt": "\(rig.suffix)\n",
                    ]
                )
            )
            for (id, base) in [(site, "atlantis/busybox@sha256:"), (own, "atlantis/busybox@sha256:")] {
                let status = try #require(await rig.finished(id))
                #expect(status.phase == .succeeded, "\(status)")
                #expect(
                    status.provenance?.baseImage?.contains(base) == true,
                    "\(String(describing: status.provenance))"
                )
            }
            // A Dockerfile FROM a base that is not known is refused before anything is built.
            let stranger = try await rig.request(
                "own",
                try await rig.upload(
                    app: "own",
                    ["atlantis.yaml": "template: dockerfile\n", "Dockerfile": "FROM debian:bookworm\n"]
                )
            )
            let refused = try #require(await rig.finished(stranger))
            #expect(refused.phase == .failed)
            #expect(
                refused.message?.contains("FROM debian:bookworm is not a known base") == true,
                "\(refused.message ?? "")"
            )
        }
    }

    @Test func badSourcesFailWithTheReasonAndNothingIsRecorded() async throws {
        try await BuilderRig.run(apps: ["bad"]) { rig, _ in
            let cases: [([String: String], String)] = [
                (pythonApp("x", setup: ["echo about to fail", "false"]), "RUN false"),
                (["atlantis.yaml": "template: nope\nrun: x\n", "a": ""], "unknown template \"nope\""),
                (
                    ["atlantis.yaml": "template: python\nrun: x\nbogus: 1\n"],
                    "atlantis.yaml: bogus: is not a known field"
                ),
                (["atlantis.yaml": "template: python\n"], "atlantis.yaml: run"),
                (["app.py": ""], "no atlantis.yaml"),
            ]
            for (files, expected) in cases {
                let id = try await rig.request("bad", try await rig.upload(app: "bad", files))
                let status = try #require(await rig.finished(id))
                #expect(status.phase == .failed, "\(expected): \(status)")
                #expect(status.image == nil)
                #expect(status.message?.contains(expected) == true, "\(expected): \(status.message ?? "")")
                if expected == "RUN false" {
                    #expect(status.logTail?.contains("Step 4/") == true, "\(status.logTail ?? "")")
                    #expect(status.logTail?.contains("about to fail") == true)
                }
            }
            #expect(try await rig.zk.children(rig.tree.builtImages).isEmpty, "no image recorded")
        }
    }

    @Test func oneAppsBuildsRunOneAtATimeAndTwoAppsInParallelAndACancelStopsOne() async throws {
        try await BuilderRig.run(apps: ["one", "two"], workers: 2) { rig, _ in
            let slow = { (tag: String) in pythonApp(tag, setup: ["sleep 3"]) }
            let a1 = try await rig.request("one", try await rig.upload(app: "one", slow("a1 \(rig.suffix)")))
            let a2 = try await rig.request("one", try await rig.upload(app: "one", slow("a2 \(rig.suffix)")))
            let b1 = try await rig.request("two", try await rig.upload(app: "two", slow("b1 \(rig.suffix)")))
            var phases: [String: [BuildPhase]] = [:]
            var overlapAB = false
            var overlapA = false
            let deadline = ContinuousClock.now + .seconds(180)
            while ContinuousClock.now < deadline {
                var running: Set<String> = []
                for id in [a1, a2, b1] {
                    guard let phase = await rig.status(id)?.phase else { continue }
                    if phases[id]?.last != phase { phases[id, default: []].append(phase) }
                    if phase == .building { running.insert(id) }
                }
                if running.contains(a1) && running.contains(a2) { overlapA = true }
                if running.contains(b1) && (running.contains(a1) || running.contains(a2)) { overlapAB = true }
                if [a1, a2, b1].allSatisfy({ phases[$0]?.last?.isFinal == true }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(!overlapA, "two builds of one app ran at once: \(phases)")
            #expect(overlapAB, "builds of two apps did not run in parallel: \(phases)")
            for id in [a1, a2, b1] { #expect(phases[id]?.last == .succeeded, "\(id): \(phases[id] ?? [])") }

            // A cancel stops a running build: the Engine's build connection is closed.
            let long = try await rig.request(
                "two",
                try await rig.upload(app: "two", pythonApp("long", setup: ["sleep 120"]))
            )
            #expect(await eventually(.seconds(60)) { await rig.status(long)?.phase == .building })
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            _ = try await rig.manager.cancelBuild(long)
            let cancelled = try #require(await rig.finished(long, timeout: .seconds(30)))
            #expect(cancelled.phase == .cancelled)
            #expect(cancelled.image == nil)
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }
}

extension Dictionary where Key == String {
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}

/// A Deploy with its own `build:`: each new commit of its ref is built and released, with the
/// builder and the manager's recorder doing it all (nobody runs a command).
@Suite("Builder: a Deploy built from its git ref", .serialized)
struct DeployBuildTests {
    @Test func eachNewCommitOfTheRefIsBuiltAndReleased() async throws {
        let rig = try await BuilderRig()
        let (builder, _) = try rig.startBuilder()
        let recorder = Task { await BuildRecorder(manager: rig.manager).run() }
        do {
            try await rig.setUp(apps: ["auto"])
            let repo = try rig.repository(pythonApp("auto v1"))
            let deploy = """
                apiVersion: atlantis/v1
                kind: Deploy
                metadata: {name: auto-prod}
                spec: {app: auto, environment: prod, build: {git: "\(repo)", ref: main, pollSeconds: 5}, instances: 1}
                """
            _ = try await rig.manager.apply(try ManifestLoader().parse(deploy, file: "deploy.yaml"), options: .init())
            #expect(await eventually(.seconds(120)) { try await rig.manager.releases("auto-prod").count == 1 })
            let first = try #require(try await rig.manager.releases("auto-prod").first)
            #expect(first.image.hasPrefix("127.0.0.1:5000/apps/auto@sha256:"))
            #expect(first.cause.hasPrefix("build b-"))
            let builds = try await rig.manager.builds(app: "auto")
            #expect(builds.first?.request.deploy == "auto-prod")
            #expect(builds.first?.status?.provenance?.commit == rig.head(repo))
            // A new commit: built and released again; the Deploy itself is not changed.
            try "print('v2')\n".write(toFile: "\(repo)/extra.py", atomically: true, encoding: .utf8)
            try rig.commit(repo, "second")
            #expect(await eventually(.seconds(120)) { try await rig.manager.releases("auto-prod").count == 2 })
            let second = try #require(try await rig.manager.releases("auto-prod").last)
            #expect(second.image != first.image)
            #expect(try await rig.manager.currentRelease("auto-prod") == second.number)
            // Nothing more while the ref stays where it is.
            try await Task.sleep(for: .seconds(7))
            #expect(try await rig.manager.releases("auto-prod").count == 2)
            // A commit whose setup step fails: the build fails, the Deploy keeps its release.
            try "template: python\nrun: python3 app.py\nsetup:\n  - \"false\"\n".write(
                toFile: "\(repo)/atlantis.yaml",
                atomically: true,
                encoding: .utf8
            )
            try rig.commit(repo, "broken")
            let broken = rig.head(repo)
            #expect(
                await eventually(.seconds(120)) {
                    try await rig.manager.builds(app: "auto").contains {
                        $0.status?.phase == .failed && $0.request.deploy == "auto-prod"
                    }
                }
            )
            let failed = try await rig.manager.builds(app: "auto").first { $0.status?.phase == .failed }
            #expect(failed?.status?.message?.contains("RUN false") == true, "\(String(describing: failed?.status))")
            #expect(failed?.request.commit == broken)
            try await Task.sleep(for: .seconds(1))
            #expect(try await rig.manager.releases("auto-prod").count == 2)
            #expect(try await rig.manager.currentRelease("auto-prod") == second.number)
        } catch {
            recorder.cancel()
            builder.cancel()
            await rig.close()
            throw error
        }
        recorder.cancel()
        _ = await recorder.result
        builder.cancel()
        _ = await builder.result
        await rig.close()
    }
}
