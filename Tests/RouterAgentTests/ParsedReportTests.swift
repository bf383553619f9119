import Testing
import ZKModel

@testable import RouterAgent

@Suite("a parsed instance report keeps what routing reads")
struct ParsedReportTests {
    @Test func routingFieldsAreKeptAndTheRestDropped() throws {
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
        let report = try ParsedReport(status)
        let routed = report.status
        var expected = status
        (expected.containerID, expected.lastError, expected.release, expected.zone) = (nil, nil, nil, nil)
        #expect(routed == expected)
        #expect(!routed.serving, "a standby stays out")
        #expect(routed.isCurrent(registrationOwner: 0x1f2e))
        #expect(report.isCurrent(registrationOwner: 0x1f2e))
        #expect(!report.isCurrent(registrationOwner: 0x1f2f))
        #expect(!report.isCurrent(registrationOwner: 0x1f2e0), "the whole session, not its start")
        #expect(!report.isCurrent(registrationOwner: nil))
        #expect(report.pool == "app/shop/prod")
    }

    @Test func aReportWithoutASessionIsNeverCurrent() throws {
        let report = try ParsedReport(InstanceStatus(app: "a", environment: "e", host: "h", port: 1, healthy: true))
        #expect(report.session == nil)
        #expect(!report.isCurrent(registrationOwner: 0x1f2e))
        #expect(report.serving)
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
        let report = try ParsedReport(status)
        let bytes = report.bytes
        #expect(ParsedReport.compact(status) == bytes)
        #expect(ParsedReport.isCompact(bytes))
        let json = try Payload.encode(status)
        #expect(bytes.count * 2 < json.count, "\(bytes.count) bytes, JSON \(json.count)")
        #expect(Self.fields(try ParsedReport(compact: bytes)) == Self.fields(report))
    }

    /// A report with every routing field set.
    static var full: InstanceStatus {
        var full = InstanceStatus(
            app: "storefront",
            environment: "production",
            host: "10.0.0.7",
            port: 31_001,
            healthy: true
        )
        full.supervisor = "supervisor-zone-a-7"
        full.session = "1f2e3d4c5b6a7980"
        full.containerAddress = "172.17.0.9"
        full.reaches = ["app/db/prod", "app/cache/prod"]
        return full
    }

    @Test func theBytesTakeTheRoomTheyUse() throws {
        let bare = InstanceStatus(app: "a", environment: "e", host: "h", port: 1, healthy: false)
        for status in [Self.full, bare] {
            let bytes = try #require(ParsedReport.compact(status))
            // The allocator rounds a block up by less than 32 bytes; a guess grown by doubling
            // leaves far more.
            #expect(bytes.capacity < bytes.count + 32, "\(bytes.count) bytes in room for \(bytes.capacity)")
        }
    }

    /// A view is one reference: a table base keeps 50,000 of them by key, and an offset beside the
    /// bytes took 16 more bytes in each of its dictionary's buckets (~1 MB more at that size).
    @Test func aViewIsOneReferenceWithItsFieldsAtTheirPlaces() throws {
        #expect(MemoryLayout<ParsedReport>.size == MemoryLayout<[UInt8]>.size)
        var status = Self.full
        status.port = 65_535
        status.standby = false
        let report = try ParsedReport(status)
        #expect(report.port == 65_535 && report.healthy && report.standby == false)
        #expect(report.app == "storefront" && report.environment == "production" && report.host == "10.0.0.7")
        #expect(report.supervisor == "supervisor-zone-a-7" && report.session == "1f2e3d4c5b6a7980")
        #expect(report.containerAddress == "172.17.0.9" && report.reaches == ["app/db/prod", "app/cache/prod"])
        #expect(report.pool == RouterReport.poolName(app: "storefront", environment: "production"))
    }

    /// Lengths of one byte up to 126, of two beyond, up to 32,767; a longer field is refused.
    @Test(arguments: [0, 1, 126, 127, 128, 255, 256, 32_767])
    func aFieldOfAnyLengthTheFormTakesComesBack(length: Int) throws {
        var status = Self.full
        status.containerAddress = String(repeating: "a", count: length)
        status.reaches = Array(repeating: "app/x/prod", count: min(length, 300))
        let report = try ParsedReport(status)
        #expect(report.bytes.count == report.bytes.capacity || report.bytes.capacity < report.bytes.count + 32)
        let back = try ParsedReport(compact: report.bytes)
        #expect(back.containerAddress == status.containerAddress)
        #expect(back.reaches == status.reaches)
        #expect(Self.fields(back) == Self.fields(report))
        let short = length < 127 ? 1 : 2
        #expect(ParsedReport.Length.bytes(length).count == short)
        #expect(ParsedReport.Length.size(length) == short)
        status.containerAddress = String(repeating: "a", count: 32_768)
        #expect(throws: ParsedReport.FieldTooLong.self) { try ParsedReport(status) }
    }

    @Test func absentFieldsStayAbsentAndAnEmptyListStaysEmpty() throws {
        let bare = try ParsedReport(InstanceStatus(app: "a", environment: "e", host: "h", port: 1, healthy: false))
        #expect(Self.fields(try ParsedReport(compact: bare.bytes)) == Self.fields(bare))
        #expect(bare.supervisor == nil && bare.session == nil && bare.containerAddress == nil && bare.reaches == nil)
        var status = InstanceStatus(app: "a", environment: "e", host: "h", port: 1, healthy: false)
        status.reaches = []
        let empty = try ParsedReport(status)
        #expect(try ParsedReport(compact: empty.bytes).reaches == [])
    }

    @Test func bytesCutShortOrTooLongAndJSONAreRefused() throws {
        let report = try ParsedReport(InstanceStatus(app: "a", environment: "e", host: "h", port: 8080, healthy: true))
        let bytes = report.bytes
        for end in 0..<bytes.count {
            #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: Array(bytes[..<end])) }
        }
        #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: bytes + [0]) }
        var noApp = bytes
        // The app ("a": its length and its byte) made absent: a report always has one.
        noApp.replaceSubrange(ParsedReport.stringsAt..<ParsedReport.stringsAt + 2, with: [ParsedReport.Length.absent])
        #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: noApp) }
        #expect(throws: ParsedReport.NotCompact.self) { try ParsedReport(compact: Array(#"{"app":"a"}"#.utf8)) }
        #expect(!ParsedReport.isCompact(Array("{}".utf8)))
        // A field too long for the form: not compacted (the report is then unreadable).
        let long = InstanceStatus(
            app: String(repeating: "x", count: 70_000),
            environment: "e",
            host: "h",
            port: 1,
            healthy: true
        )
        #expect(ParsedReport.compact(long) == nil)
        #expect(throws: ParsedReport.FieldTooLong.self) { try ParsedReport(long) }
    }
}
