import AsyncHTTPClient
import Docker
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Building and pushing through the Engine API (no docker CLI), against the real dockerd and the
/// local registry on 127.0.0.1:5000 (scripts/docker.sh up), from the offline base image.
@Suite("Docker: build and push")
struct DockerBuildTests {
    static func context(_ files: [String: String]) throws -> [UInt8] {
        var tar = TarArchive()
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { try tar.add(path, contents: Array(text.utf8)) }
        return tar.archive
    }

    @Test func aContextRefusesPathsOutsideItself() {
        var tar = TarArchive()
        for path in ["/etc/passwd", "../x", "a/../../x", "a//b", "./a", ""] {
            #expect(throws: TarArchive.Refused.self, "\(path)") { try tar.add(path, contents: []) }
        }
        #expect(throws: TarArchive.Refused.self) {
            try tar.add("a", contents: [])
            try tar.add("a", contents: [])
        }
    }

    @Test func buildsFromTheOfflineBaseAndPushesByDigest() async throws {
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(http: http)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let tag = "127.0.0.1:5000/atlantis-test/build-\(suffix):v1"
        let lines = LineLog()
        do {
            let context = try Self.context([
                "Dockerfile":
                    "FROM atlantis/busybox:base\nCOPY www/index.html /www/index.html\nRUN test -s /www/index.html\n",
                "www/index.html": "hello \(suffix)\n",
            ])
            let id = try await docker.build(context: context, tag: tag) { lines.append($0) }
            #expect(id.hasPrefix("sha256:"))
            #expect(lines.all.contains { $0.contains("Step 2/3 : COPY www/index.html") }, "\(lines.all)")
            #expect(try await docker.imageExists(tag))
            let digest = try await docker.push(tag)
            #expect(digest.wholeMatch(of: /sha256:[0-9a-f]{64}/) != nil, "\(digest)")
            // The registry itself names the same manifest digest.
            var request = HTTPClientRequest(url: "http://127.0.0.1:5000/v2/atlantis-test/build-\(suffix)/manifests/v1")
            request.method = .HEAD
            request.headers.add(name: "Accept", value: "application/vnd.docker.distribution.manifest.v2+json")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.headers.first(name: "Docker-Content-Digest") == digest)
            try await docker.removeImage(tag)
        } catch {
            try? await docker.removeImage(tag)
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    @Test func aFailingStepIsABuildFailureNamingIt() async throws {
        let http = DockerClient.makeHTTPClient()
        let docker = DockerClient(http: http)
        let context = try Self.context(["Dockerfile": "FROM atlantis/busybox:base\nRUN echo setting up && exit 3\n"])
        do {
            _ = try await docker.build(
                context: context,
                tag: "atlantis-test/failing:\(UUID().uuidString.prefix(8).lowercased())"
            )
            Issue.record("a failing step built")
        } catch {
            #expect(error.code == .buildFailed, "\(error)")
            #expect(error.message.contains("returned a non-zero code: 3"), "\(error.message)")
            #expect(error.message.contains("setting up"), "the step's output: \(error.message)")
        }
        try await http.shutdown()
    }
}

/// Lines a build printed, collected from its callback.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
