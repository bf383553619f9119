import ZKModel

/// An instance report as routing reads it: a view of the compact form its cache keeps
/// (`ParsedReport+Compact`), each field read from those bytes when asked for. A build and its
/// base hold every routed report (50,000 at scale): as a view it shares the cache's bytes and
/// costs no allocation of its own (an object of its fields was ~140 bytes, and a heap string per
/// field longer than 15 bytes, for each report), and is one reference (the port and flags at fixed
/// places: with an offset beside it, each of the 50,000 reports a table base keeps by key took
/// 16 bytes more in its dictionary's buckets).
struct ParsedReport: Sendable {
    /// The compact form, checked whole when the view was made.
    let bytes: [UInt8]

    /// A view of `bytes`, checked (`ParsedReport+Compact`).
    init(checked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Where the strings after the host start (supervisor, session, container address, reaches).
    private var afterHost: Int { skip(skip(skip(Self.stringsAt))) }

    var app: String { string(at: Self.stringsAt).value ?? "" }
    var environment: String { string(at: skip(Self.stringsAt)).value ?? "" }
    var host: String { string(at: skip(skip(Self.stringsAt))).value ?? "" }
    var port: Int { integer(at: Self.portAt, count: 4) }
    private var flags: UInt8 { bytes[Self.portAt + 4] }
    var healthy: Bool { flags & 1 != 0 }
    var standby: Bool? { flags & 2 == 0 ? nil : flags & 4 != 0 }
    var supervisor: String? { string(at: afterHost).value }
    var session: String? { string(at: skip(afterHost)).value }
    var containerAddress: String? { string(at: skip(skip(afterHost))).value }
    var reaches: [String]? {
        let start = skip(skip(skip(afterHost)))
        guard let (count, first) = Length.read(bytes, at: start), let count else { return nil }
        var at = first
        return (0..<count).map { _ in
            let (value, next) = string(at: at)
            at = next
            return value ?? ""
        }
    }

    /// The report with what routing reads (the rest left out).
    var status: InstanceStatus {
        var routed = InstanceStatus(app: app, environment: environment, host: host, port: port, healthy: healthy)
        routed.supervisor = supervisor
        routed.standby = standby
        routed.session = session
        routed.containerAddress = containerAddress
        routed.reaches = reaches
        return routed
    }

    /// Its pool's name (`app/<app>/<environment>`).
    var pool: String {
        let (app, next) = string(at: Self.stringsAt)
        return RouterReport.poolName(app: app ?? "", environment: string(at: next).value ?? "")
    }

    /// Whether routers send it traffic (if current): `InstanceStatus.serving`.
    var serving: Bool { InstanceStatus.serving(healthy: healthy, standby: standby) }

    /// `InstanceStatus.isCurrent`.
    func isCurrent(registrationOwner owner: Int64?) -> Bool {
        guard let owner, owner != 0 else { return false }
        let (start, end) = stringRange(at: skip(afterHost))
        guard start <= end else { return false }
        return bytes[start..<end].elementsEqual(InstanceStatus.session(owner).utf8)
    }

    /// The little-endian integer of `count` bytes at `at`.
    private func integer(at: Int, count: Int) -> Int {
        var value = 0
        for i in 0..<count { value |= Int(bytes[at + i]) << (8 * i) }
        return value
    }

    /// The bytes of the string whose length is at `at` (start > end: nil). The view was checked
    /// whole when made: every length is within the bytes.
    private func stringRange(at: Int) -> (start: Int, end: Int) {
        guard let (length, start) = Length.read(bytes, at: at) else { return (at + 1, at) }
        return length.map { (start, start + $0) } ?? (start, start - 1)
    }

    /// Where the field after the string whose length is at `at` starts.
    private func skip(_ at: Int) -> Int {
        let (start, end) = stringRange(at: at)
        return max(start, end)
    }

    /// The string whose length is at `at` (nil for an absent one) and where the next field is.
    private func string(at: Int) -> (value: String?, next: Int) {
        let (start, end) = stringRange(at: at)
        guard start <= end else { return (nil, start) }
        return (String(decoding: bytes[start..<end], as: UTF8.self), end)
    }
}
