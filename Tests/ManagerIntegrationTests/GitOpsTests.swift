import Foundation
import Spawn
import TestSupport
import Testing

/// The GitOps job both ways, with real git: a `git push` to a repository whose hook applies the
/// tree through the manager, and `atlantis gitops sync` pulling a ref.
@Suite("GitOps", .serialized)
struct GitOpsTests {
    static func sh(_ script: String, in directory: String) -> (status: Int32, stdout: String, stderr: String) {
        Spawn.run3([
            "/bin/sh", "-c",
            "cd \"$0\" && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t && \(script)",
            directory,
        ])
    }

    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atl-gitops-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static var examples: String { Harness.path("examples") }

    @Test func aPushIsAppliedAndPrunedAndAnEmptyTreeIsRefused() throws {
        let root = CLITests.newRoot()
        let url = try ManagerProcesses.url(binary: CLITests.binary, zooKeeper: Harness.hosts, root: root)
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let setup = Spawn.run3([
            "/usr/bin/env", "ATLANTIS_BIN=\(CLITests.binary)", "bash", Harness.path("examples/gitops/setup.sh"),
            "\(dir)/repo.git", url, "gitops", "deploy",
        ])
        #expect(setup.status == 0, "\(setup.stderr)")
        let clone = Self.sh(
            "git clone -q repo.git work && mkdir work/deploy && cp \"\(Self.examples)\"/*.yaml work/deploy/ && cd work && git add -A && git commit -qm all && git push -q origin main 2>&1",
            in: dir
        )
        #expect(clone.status == 0, "\(clone.stdout) \(clone.stderr)")
        #expect(clone.stdout.contains("applying"), "\(clone.stdout)")
        let shop = try CLITests.atlantis(["get", "deploy", "shop-prod", "-o", "json"], root: root)
        #expect(shop.status == 0)
        #expect(shop.stdout.contains(#""source": "gitops""#), "\(shop.stdout)")

        // A file removed from the tree: its documents are deleted (pruned), the rest stay.
        let pruned = Self.sh(
            "cd work && git rm -q deploy/routes.yaml && git commit -qm routes && git push -q origin main 2>&1",
            in: dir
        )
        #expect(pruned.status == 0, "\(pruned.stdout)")
        #expect(try CLITests.atlantis(["get", "routes"], root: root).stdout.contains("no routes"))
        #expect(try CLITests.atlantis(["get", "deploys"], root: root).stdout.contains("shop-prod"))

        // An empty tree would prune everything: refused, the cluster keeps what it runs.
        let emptied = Self.sh(
            "cd work && git rm -q -r deploy && git commit -qm none && git push origin main 2>&1",
            in: dir
        )
        #expect(emptied.stdout.contains("holds no documents under deploy/; refusing to prune"), "\(emptied.stdout)")
        #expect(try CLITests.atlantis(["get", "deploys"], root: root).stdout.contains("shop-prod"))
    }

    @Test func thePullFormConvergesCorrectsDriftAndReportsItsCommit() async throws {
        let root = CLITests.newRoot()
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = Self.sh(
            "git init -q -b main src && mkdir src/deploy && cp \"\(Self.examples)\"/*.yaml src/deploy/ && cd src && git add -A && git commit -qm all && git rev-parse HEAD",
            in: dir
        )
        #expect(made.status == 0, "\(made.stderr)")
        let commit = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func sync() throws -> CLITests.Run {
            try CLITests.atlantis(
                [
                    "gitops", "sync", "--repo", "\(dir)/src", "--source", "pull", "--cache", "\(dir)/cache.git",
                    "--once",
                ],
                root: root
            )
        }
        let first = try sync()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("synced \(commit.prefix(12))"), "\(first.stdout)")

        // A change by hand is drift: the next sync reports it and puts the tree's state back.
        #expect(
            try CLITests.atlantis(["scale", "shop", "--env", "prod", "--instances", "9", "--no-wait"], root: root)
                .status == 0
        )
        let second = try sync()
        #expect(second.stdout.contains(#"update Deploy "shop-prod""#), "\(second.stdout)")
        let shop = try CLITests.atlantis(["get", "deploy", "shop-prod", "-o", "json"], root: root).stdout
        #expect(!shop.contains(#""instances": 9"#), "\(shop)")

        // A new commit that removes routes: pruned within the job's source; reported.
        let next = Self.sh(
            "cd src && git rm -q deploy/routes.yaml && git commit -qm routes && git rev-parse HEAD",
            in: dir
        )
        let third = try sync()
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try CLITests.atlantis(["get", "routes"], root: root).stdout.contains("no routes"))
        let report = try CLITests.atlantis(["get", "gitops", "pull"], root: root)
        let head = next.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(report.stdout.contains(String(head.prefix(12))), "\(report.stdout)")

        // A ref that cannot be fetched: the error is reported, nothing is pruned.
        let broken = try CLITests.atlantis(
            [
                "gitops", "sync", "--repo", "\(dir)/nowhere", "--source", "pull", "--cache", "\(dir)/cache.git",
                "--once",
            ],
            root: root
        )
        #expect(broken.status == 1)
        let status = try CLITests.atlantis(["get", "gitops"], root: root).stdout
        #expect(status.contains("cannot fetch main from \(dir)/nowhere"), "\(status)")
        #expect(try CLITests.atlantis(["get", "deploys"], root: root).stdout.contains("shop-prod"))
    }
}
