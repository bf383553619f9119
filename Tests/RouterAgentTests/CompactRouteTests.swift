import Foundation
import Testing
import ZKModel
import ZooKeeper

@testable import RouterAgent

@Suite("what a router's cache keeps of a Route")
struct CompactRouteTests {
    static let routes = [
        ParsedRoute(name: "bare", spec: RouteSpec(host: "a.test", pool: RouteSpec.Pool(service: "svc"))),
        ParsedRoute(
            name: "full-é",
            spec: RouteSpec(
                host: "*.shop.example.com",
                pathPrefix: "/api/v2",
                headers: [.init(name: "x-canary", value: "1"), .init(name: "x-empty", value: "")],
                priority: -7,
                pool: RouteSpec.Pool(app: "shop", environment: "prod"),
                balancing: "leastConnections"
            )
        ),
        ParsedRoute(
            name: "",
            spec: RouteSpec(host: "", pathPrefix: "", headers: [], priority: Int.max, pool: RouteSpec.Pool())
        ),
    ]

    @Test(arguments: routes) func aRouteReadsBackAsItWasKept(route: ParsedRoute) throws {
        #expect(try CompactRoute.parse(CompactRoute.encode(route)) == route)
    }

    /// The cache keeps a valid version decoded, with its versions alone of its stat; a version
    /// that does not decode is kept as why, and reads back as that error.
    @Test func aVersionIsKeptDecodedOrAsWhyItDoesNot() throws {
        var stat = Stat.zero
        stat.mzxid = 42
        stat.version = 3
        stat.ctime = 1234
        let valid = """
            {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r"},\
            "spec":{"host":"a.test","pathPrefix":"/x","pool":{"app":"a","environment":"prod"}}}
            """
        let kept = CompactRoute.keep(NodeSnapshot(data: Array(valid.utf8), stat: stat))
        #expect(kept.stat == stat.versionsOnly)
        #expect(try CompactRoute.parse(kept.data) == RouterAgent.route(Array(valid.utf8)))
        #expect(kept.data.count < valid.utf8.count / 2, "kept: \(kept.data.count) bytes")

        let invalid = valid.replacingOccurrences(of: #""host":"a.test""#, with: #""host":7"#)
        let why = try #require(throws: (any Error).self) { try RouterAgent.route(Array(invalid.utf8)) }
        let unreadable = CompactRoute.keep(NodeSnapshot(data: Array(invalid.utf8), stat: stat))
        #expect(throws: CompactRoute.Unreadable.self) { try CompactRoute.parse(unreadable.data) }
        #expect(
            String(describing: try #require(throws: (any Error).self) { try CompactRoute.parse(unreadable.data) })
                == "\(why)"
        )
    }

    /// Cut short anywhere, or with a byte more, or JSON: refused, never read past its end.
    @Test func aCutOrForeignFormIsRefused() {
        let bytes = CompactRoute.encode(Self.routes[1])
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try CompactRoute.parse(Array(bytes.prefix(length))) }
        }
        #expect(throws: CompactRoute.NotCompact.self) { try CompactRoute.parse(bytes + [0]) }
        #expect(throws: CompactRoute.NotCompact.self) { try CompactRoute.parse(Array(#"{"kind":"Route"}"#.utf8)) }
    }
}
