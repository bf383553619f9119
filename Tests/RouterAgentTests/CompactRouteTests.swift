import Foundation
import Logging
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

    /// The cache keeps a valid version decoded and packed, with its versions alone of its stat; a
    /// version that does not decode keeps the last valid one (nothing when there was none) and is
    /// reported, until a valid version comes or the node goes.
    @Test func aVersionIsKeptDecodedOrTheLastValidOneIs() throws {
        let kept = KeptRoutes.versions(folder: "/t/routes", logger: Logger(label: "test"))
        func stat(_ mzxid: Int64) -> Stat {
            var stat = Stat.zero
            (stat.mzxid, stat.version, stat.ctime) = (mzxid, Int32(mzxid), 1234)
            return stat
        }
        func route(host: String) -> [UInt8] {
            Array(
                """
                {"apiVersion":"atlantis/v1","kind":"Route","metadata":{"name":"r"},\
                "spec":{"host":\(host),"pathPrefix":"/x","pool":{"app":"a","environment":"prod"}}}
                """.utf8
            )
        }
        let invalid = route(host: "7")
        let never = kept.keep("n", NodeSnapshot(data: invalid, stat: stat(1)), stored: nil)
        #expect(never.data.isEmpty && KeptRoutes.route(never.data) == nil, "no valid version: nothing")
        let why = String(describing: try #require(throws: (any Error).self) { try RouterAgent.route(invalid) })
        #expect(kept.unreadable(present: { _ in true }) == ["n": why])

        let valid = route(host: #""a.test""#)
        let first = kept.keep("r", NodeSnapshot(data: valid, stat: stat(2)), stored: nil)
        #expect(first.stat == stat(2).versionsOnly)
        #expect(KeptRoutes.route(first.data) == (try RouterAgent.route(valid)))
        #expect(first.data.count < valid.count / 2, "kept: \(first.data.count) bytes")
        let broken = kept.keep("r", NodeSnapshot(data: invalid, stat: stat(3)), stored: first)
        #expect(KeptRoutes.route(broken.data) == KeptRoutes.route(first.data), "the last valid one")
        #expect(
            broken.stat == stat(3).versionsOnly && PackedVersions.stat(of: broken.data) == broken.stat,
            "at its stat"
        )
        #expect(PackedVersions.stat(of: first.data) == stat(2).versionsOnly)
        #expect(kept.unreadable(present: { _ in true }) == ["n": why, "r": why])
        // An older valid version read late does not clear the newer error.
        _ = kept.keep("r", NodeSnapshot(data: valid, stat: stat(2)), stored: broken)
        #expect(kept.unreadable(present: { _ in true })["r"] == why)
        _ = kept.keep("r", NodeSnapshot(data: route(host: #""b.test""#), stat: stat(4)), stored: broken)
        #expect(kept.unreadable(present: { $0 != "n" }).isEmpty, "repaired, and a node gone is forgotten")
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
