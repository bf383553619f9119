import Foundation
import ManagerAPI
import ManagerClient
import ManagerService
import NIOHTTP1
import Spawn
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile requests get a clear 4xx naming the fault, nothing is written, and the server keeps
/// serving everyone else.
@Suite("manager API: hostile input", .serialized)
struct HostileInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPMethod
        var path: String
        var contentType: String?
        var body: [UInt8]?
        var status: Int
        var says: String
        /// Extra request headers, name and value.
        var headers: [String: String] = [:]
        var testDescription: String { name }
    }

    static let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)

    static let cases: [Case] = [
        Case(
            name: "malformed JSON",
            method: .POST,
            path: "/v1/apply",
            contentType: "application/json",
            body: Array(#"{"documents": [ {"#.utf8),
            status: 400,
            says: "not valid JSON"
        ),
        Case(
            name: "malformed YAML",
            method: .POST,
            path: "/v1/apply",
            contentType: "application/yaml",
            body: Array("kind: App\n  metadata: [\n".utf8),
            status: 400,
            says: "cannot be read as YAML"
        ),
        Case(
            name: "deep nesting",
            method: .POST,
            path: "/v1/apply",
            contentType: "application/json",
            body: Array(#"{"documents":\#(deep)}"#.utf8),
            status: 400,
            says: "nests 5001 levels deep"
        ),
        Case(
            name: "wrong content type",
            method: .POST,
            path: "/v1/apply",
            contentType: "text/plain",
            body: Array("documents".utf8),
            status: 415,
            says: "must be application/json"
        ),
        Case(
            name: "no content type",
            method: .POST,
            path: "/v1/apps/shop/environments/prod/deploy",
            contentType: nil,
            body: Array(#"{"image":"x"}"#.utf8),
            status: 415,
            says: "not untyped"
        ),
        Case(
            name: "unknown field",
            method: .POST,
            path: "/v1/apply",
            contentType: "application/json",
            body: Array(#"{"documents":[],"dryrun":true}"#.utf8),
            status: 400,
            says: #"unknown field "dryrun""#
        ),
        Case(
            name: "unknown item field",
            method: .POST,
            path: "/v1/apply",
            contentType: "application/json",
            body: Array(#"{"documents":[{"document":{},"ifVerison":3}]}"#.utf8),
            status: 400,
            says: #"unknown field "documents[0].ifVerison""#
        ),
        Case(
            name: "wrong type",
            method: .POST,
            path: "/v1/apps/shop/environments/prod/scale",
            contentType: "application/json",
            body: Array(#"{"instances":"many"}"#.utf8),
            status: 400,
            says: #"field "instances""#
        ),
        Case(
            name: "missing field",
            method: .POST,
            path: "/v1/apps/shop/environments/prod/deploy",
            contentType: "application/json",
            body: Array(#"{"instances":2}"#.utf8),
            status: 400,
            says: #"field "image" is required"#
        ),
        Case(
            name: "path traversal",
            method: .GET,
            path: "/v1/apps/..%2F..%2Fstatus",
            contentType: nil,
            body: nil,
            status: 400,
            says: "is not a valid name"
        ),
        Case(
            name: "traversal in an app",
            method: .DELETE,
            path: "/v1/apps/..%2Fx/environments/prod",
            contentType: nil,
            body: nil,
            status: 400,
            says: "is not a valid name"
        ),
        Case(
            name: "bad If-Match",
            method: .DELETE,
            path: "/v1/routes/gateway",
            contentType: nil,
            body: nil,
            status: 400,
            says: "If-Match must be a version",
            headers: ["If-Match": "yesterday"]
        ),
        Case(
            name: "a PUT whose document is another",
            method: .PUT,
            path: "/v1/apps/other",
            contentType: "application/json",
            body: Array(#"{"apiVersion":"atlantis/v1","kind":"App","metadata":{"name":"shop"},"spec":{}}"#.utf8),
            status: 400,
            says: #"is not App "other""#
        ),
        Case(
            name: "unknown path",
            method: .GET,
            path: "/v1/nothing/here/at/all",
            contentType: nil,
            body: nil,
            status: 404,
            says: "no such path"
        ),
        Case(
            name: "bad Last-Event-ID",
            method: .GET,
            path: "/v1/deploys/shop-prod/events?since=x",
            contentType: nil,
            body: nil,
            status: 400,
            says: "Last-Event-ID must be"
        ),
    ]

    @Test(arguments: cases)
    func aHostileRequestIsRefusedAndWritesNothing(_ c: Case) async throws {
        try await APIRig.run { rig in
            _ = try await rig.client.apply(try rig.examples())
            let before = try await rig.dump()
            let answer = try await rig.raw(
                c.method,
                c.path,
                body: c.body,
                headers: (c.contentType.map { [("Content-Type", $0)] } ?? []) + c.headers.map { ($0.key, $0.value) }
            )
            #expect(answer.status == c.status, "\(answer.body)")
            #expect(answer.headers["Content-Type"].first == Problem.mediaType)
            #expect(answer.problem?.detail.contains(c.says) == true, "\(answer.body)")
            #expect(try await rig.dump() == before)
            #expect(try await rig.raw(.GET, "/healthz").status == 200)
        }
    }

    /// Above the limit: refused with 413 before the body is read, whether its length is declared
    /// or it comes chunked; nothing written.
    @Test func aHugeBodyIs413() async throws {
        let configuration = ManagerServiceConfiguration(port: 0, maxBodyBytes: 64 * 1024)
        try await APIRig.run(configuration: configuration) { rig in
            let before = try await rig.dump()
            let huge = Array(repeating: UInt8(ascii: " "), count: 200 * 1024)
            let declared = try await rig.raw(
                .POST,
                "/v1/apply",
                body: huge,
                headers: [("Content-Type", "application/json")]
            )
            #expect(declared.status == 413, "\(declared.body)")
            #expect(declared.problem?.detail.contains("at most 65536") == true, "\(declared.body)")
            let url = rig.url + "/v1/apply"
            let file = "/tmp/atl-huge-\(getpid())"
            FileManager.default.createFile(atPath: file, contents: Data(huge))
            defer { unlink(file) }
            let chunked = Spawn.run3([
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked", "-H",
                "Content-Type: application/json", "--data-binary", "@\(file)", url,
            ])
            #expect(chunked.stdout == "413", "\(chunked.stdout) \(chunked.stderr)")
            #expect(try await rig.dump() == before)
        }
    }

    /// Slow clients (a slowloris: headers one byte at a time, never finished) hold no worker:
    /// the server answers others at once while they trickle.
    @Test func slowClientsDoNotHoldTheServer() async throws {
        try await APIRig.run { rig in
            let port = Int(rig.url.split(separator: ":").last!)!
            var sockets: [Int32] = []
            for _ in 0..<64 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
                let connected = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                #expect(connected == 0)
                _ = "GET /v1/apps HTTP/1.1\r\nHost: x\r\nX-Slow: ".withCString { send(fd, $0, strlen($0), 0) }
                sockets.append(fd)
            }
            defer { for fd in sockets { close(fd) } }
            for round in 0..<5 {
                for fd in sockets { _ = "a".withCString { send(fd, $0, 1, Int32(MSG_NOSIGNAL)) } }
                let started = ContinuousClock.now
                let answer = try await rig.raw(.GET, "/v1/zones")
                #expect(answer.status == 200, "round \(round)")
                #expect(ContinuousClock.now - started < .seconds(2), "round \(round) waited for the slow clients")
            }
        }
    }
}
