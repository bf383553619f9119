import Testing
import ZKModel

@testable import RouterAgent

@Suite("a parsed instance report keeps what routing reads")
struct ParsedReportTests {
    @Test func routingFieldsAreKeptAndTheRestDropped() {
        var status = InstanceStatus(app: "shop", environment: "prod", host: "10.0.0.7", port: 31_001, healthy: true)
        status.supervisor = "host-1"
        status.standby = true
        status.session = "1f2e"
        status.containerAddress = "172.17.0.9"
        status.reaches = ["app/db/prod"]
        status.containerID = String(repeating: "a", count: 64)
        status.lastError = "probe failed"
        status.release = "r7"
        status.zone = "zone-a"
        let routed = ParsedReport(status).status
        var expected = status
        (expected.containerID, expected.lastError, expected.release, expected.zone) = (nil, nil, nil, nil)
        #expect(routed == expected)
        #expect(!routed.serving, "a standby stays out")
        #expect(routed.isCurrent(registrationOwner: 0x1f2e))
    }
}

@Suite("the compact form a router's cache keeps of each report")
struct ParsedReportCompactTests {
    static func fields(_ r: ParsedReport) -> String {
        "\(r.app) \(r.environment) \(r.host) \(r.port) \(r.healthy) \(String(describing: r.standby)) "
            + "\(String(describing: r.supervisor)) \(String(describing: r.session)) "
            + "\(String(describing: r.containerAddress)) \(String(describing: r.reaches))"
    }

    @Test(arguments: [nil, false, true] as [Bool?])
    func everyFieldComesBackAsItWas(standby: Bool?) throws {
        var status = InstanceStatus(app: "shop", environment: "prod", host: "10.0.0.7", port: 65_535, healthy: true)
        status.standby = standby
        status.supervisor = "host-1"
        status.session = "1f2e3d4c5b6a7980"
        status.containerAddress = "172.17.0.9"
        status.reaches = ["app/db/prod", "app/cache/prod", "é/ü"]
        let report = ParsedReport(status)
        let bytes = try #require(report.compact())
        #expect(ParsedReport.isCompact(bytes))
        let json = try Payload.encode(status)
        #expect(bytes.count * 2 < json.count, "\(bytes.count) bytes, JSON \(json.count)")
        #expect(Self.fields(try ParsedReport(compact: bytes)) == Self.fields(report))
    }

    @Test func absentFieldsStayAbsentAndAnEmptyListStaysEmpty() throws {
        let bare = ParsedReport(InstanceStatus(app: "a", environment: "e", host: "h", port: 1, healthy: false))
        #expect(Self.fields(try ParsedReport(compact: try #require(bare.compact()))) == Self.fields(bare))
        var status = InstanceStatus(app: "a", environment: "e", host: "h", port: 1, healthy: false)
        status.reaches = []
        let empty = ParsedReport(status)
        #expect(try ParsedReport(compact: try #require(empty.compact())).reaches == [])
    }

    @Test func bytesCutShortOrTooLongAndJSONAreRefused() throws {
        let report = ParsedReport(InstanceStatus(app: "a", environment: "e", host: "h", port: 8080, healthy: true))
        let bytes = try #require(report.compact())
        for end in 0..<bytes.count {
            #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: Array(bytes[..<end])) }
        }
        #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: bytes + [0]) }
        #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: Array(#"{"app":"a"}"#.utf8)) }
        #expect(!ParsedReport.isCompact(Array("{}".utf8)))
        // A field too long for the form: not compacted (the cache keeps the JSON).
        let long = InstanceStatus(
            app: String(repeating: "x", count: 70_000),
            environment: "e",
            host: "h",
            port: 1,
            healthy: true
        )
        #expect(ParsedReport(long).compact() == nil)
    }
}
