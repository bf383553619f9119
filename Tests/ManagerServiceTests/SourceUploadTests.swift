import AsyncHTTPClient
import Docker
import Foundation
import ManagerAPI
import ManagerClient
import ManagerService
import NIOHTTP1
import TestSupport
import Testing
import ZKModel
import ZooKeeper

/// Uploading a source and asking for a build through the API: hostile archives and requests
/// are refused with the reason, and nothing is stored (in ZooKeeper or in the registry).
@Suite("Manager API: sources and builds")
struct SourceUploadTests {
    static var configuration: ManagerServiceConfiguration {
        var configuration = ManagerServiceConfiguration(port: 0, requestDeadline: .seconds(10))
        configuration.registry = "127.0.0.1:5000"
        configuration.maxSourceBytes = 64 * 1024
        configuration.recordsBuilds = false
        return configuration
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var body: [UInt8]
        var contentType: String = "application/x-tar"
        var app: String = "shop"
        var status: Int
        var says: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "absolute path",
            body: HostileTar.archive([HostileTar.header("/etc/cron.d/x")]),
            status: 400,
            says: "absolute path"
        ),
        Case(
            name: "dot-dot",
            body: HostileTar.archive([HostileTar.header("a/../../x")]),
            status: 400,
            says: "leaves the source tree"
        ),
        Case(
            name: "link out",
            body: HostileTar.archive([HostileTar.header("x", type: "2", link: "../../../etc/shadow")]),
            status: 400,
            says: "leaves the source tree"
        ),
        Case(
            name: "device",
            body: HostileTar.archive([HostileTar.header("null", type: "3")]),
            status: 400,
            says: "device"
        ),
        Case(name: "not a tar", body: Array(repeating: 0x41, count: 2048), status: 400, says: "not a tar archive"),
        Case(name: "empty", body: HostileTar.archive([]), status: 400, says: "no files"),
        Case(
            name: "over the limit",
            body: HostileTar.archive([HostileTar.header("big", size: 100_000)] + [Array(repeating: 1, count: 100_352)]),
            status: 413,
            says: "at most 0 MiB"
        ),
        Case(
            name: "not a tar type",
            body: [1, 2, 3],
            contentType: "application/json",
            status: 415,
            says: "application/x-tar"
        ),
        Case(
            name: "unknown app",
            body: HostileTar.archive([HostileTar.header("a-\(UUID().uuidString)")]),
            app: "nosuchapp",
            status: 404,
            says: "does not exist"
        ),
    ]

    @Test(arguments: cases)
    func aHostileUploadIsRefusedAndStoresNothing(_ c: Case) async throws {
        try await APIRig.run(configuration: Self.configuration) { rig in
            _ = try await rig.client.apply(try rig.examples())
            let before = try await rig.dump()
            let answer = try await rig.raw(
                .POST,
                "/v1/apps/\(c.app)/sources",
                body: c.body,
                headers: [("Content-Type", c.contentType)]
            )
            #expect(answer.status == c.status, "\(answer.body)")
            #expect(answer.problem?.detail.contains(c.says) == true, "\(answer.body)")
            #expect(try await rig.dump() == before)
            let digest = RegistryClient.digest(c.body)
            #expect(
                try await !RegistryClient(address: "127.0.0.1:5000").hasBlob(
                    digest,
                    repository: "atlantis-sources/\(c.app)"
                )
            )
        }
    }

    @Test func anUploadIsKeptInTheRegistryAndABuildOfItIsWrittenForTheBuilder() async throws {
        try await APIRig.run(configuration: Self.configuration) { rig in
            _ = try await rig.client.apply(try rig.examples())
            var tar = TarArchive()
            try tar.add("atlantis.yaml", contents: Array("template: static\n".utf8))
            try tar.add("index.html", contents: Array("hello \(UUID().uuidString)\n".utf8))
            let uploaded = try await rig.client.uploadSource(app: "shop", tar: tar.archive)
            #expect(uploaded.digest == RegistryClient.digest(tar.archive))
            #expect(uploaded.files == 2)
            #expect(
                try await RegistryClient(address: "127.0.0.1:5000").hasBlob(
                    uploaded.digest,
                    repository: "atlantis-sources/shop"
                )
            )
            let build = try await rig.client.build(
                app: "shop",
                source: BuildSource(archive: .init(digest: uploaded.digest, size: uploaded.size))
            )
            #expect(build.phase == .queued)
            #expect(BuildRequest.isValidID(build.id))
            let stored = try await rig.zk.getData(rig.tree.build(build.id)).data
            let request = try Payload.decode(BuildRequest.self, from: stored, path: build.id)
            #expect(request.app == "shop")
            #expect(request.source.archive?.digest == uploaded.digest)
            #expect(try await rig.client.builds(app: "shop").map(\.id) == [build.id])
            // The audit trail says who asked for it.
            let audit = try await rig.client.audit(app: "shop")
            #expect(audit.items.contains { $0.record.action == "build" && $0.record.build == build.id })
            // A cancel is recorded on the request for the builder.
            _ = try await rig.client.cancelBuild(build.id)
            let cancelled = try Payload.decode(
                BuildRequest.self,
                from: try await rig.zk.getData(rig.tree.build(build.id)).data,
                path: build.id
            )
            #expect(cancelled.cancel == true)
        }
    }

    @Test func aBadBuildRequestWritesNothing() async throws {
        try await APIRig.run(configuration: Self.configuration) { rig in
            _ = try await rig.client.apply(try rig.examples())
            let before = try await rig.dump()
            let bodies: [(String, Int, String)] = [
                (#"{"source": {"git": {"url": "-oProxyCommand=x"}}}"#, 422, "source.git.url"),
                (#"{"source": {"git": {"url": "/srv/repo", "ref": "--upload-pack=x"}}}"#, 422, "source.git.ref"),
                (#"{"source": {"git": {"url": "/srv/repo", "path": "../../etc"}}}"#, 422, "source.git.path"),
                (#"{"source": {"archive": {"digest": "md5:abc", "size": 1}}}"#, 422, "sha256"),
                (#"{"source": {}}"#, 422, "either an uploaded archive or a git repository"),
                (#"{"source": {"git": {"url": "/srv/repo"}}, "extra": 1}"#, 400, "extra"),
            ]
            for (body, status, says) in bodies {
                let answer = try await rig.raw(
                    .POST,
                    "/v1/apps/shop/builds",
                    body: Array(body.utf8),
                    headers: [("Content-Type", "application/json")]
                )
                #expect(answer.status == status, "\(body): \(answer.body)")
                #expect(answer.problem?.detail.contains(says) == true, "\(body): \(answer.body)")
            }
            #expect(try await rig.dump() == before)
        }
    }
}
