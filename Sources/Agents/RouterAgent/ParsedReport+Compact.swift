import ZKModel

/// A report's routing fields in a few bytes: what a router's cache keeps of each report instead
/// of its JSON (at 50,000 reports the JSON was 14 MiB kept only to be parsed once), and what a
/// `ParsedReport` reads. Byte 0 is NUL (no JSON starts with it), then 12 bytes for the version's
/// `mzxid` and data version (written by the cache's `PackedVersions`), the port in 4 bytes and one
/// byte of flags (at fixed places: a view needs no offset of its own), then the strings in order,
/// each as its length (`Length`: one byte up to 126, else two) and its UTF-8.
extension ParsedReport {
    struct NotCompact: Error, CustomStringConvertible {
        var description: String { "the cached instance report is cut short or not in the router's compact form" }
    }

    /// A report with a field of 32 KiB or more (no valid one has such a field).
    struct FieldTooLong: Error, CustomStringConvertible {
        var description: String {
            "the instance report has a field of 32 KiB or more: no router routes it; fix what wrote it"
        }
    }

    /// A string's length (or a list's count) before it: one byte for 0–126 (nearly every field),
    /// 0x7F for an absent one, else two bytes, big-endian with the top bit set (up to 32,767). At
    /// 50,000 reports one byte instead of two for each of a report's seven lengths took its bytes
    /// from 106 to 99, under the allocator's 112-byte block instead of 128 (0.8 MB).
    enum Length {
        static let absent: UInt8 = 0x7F
        static let limit = 0x8000

        /// The bytes of `length` (nil: absent); `length` < `limit`.
        static func bytes(_ length: Int?) -> [UInt8] {
            guard let length else { return [absent] }
            return length < Int(absent) ? [UInt8(length)] : [UInt8(0x80 | length >> 8), UInt8(length & 0xFF)]
        }

        /// How many bytes `length` takes.
        static func size(_ length: Int?) -> Int { length.map { $0 < Int(absent) ? 1 : 2 } ?? 1 }

        /// The length at `at` (nil: absent) and where what it counts starts; nil when cut short.
        static func read(_ bytes: [UInt8], at: Int) -> (length: Int?, next: Int)? {
            guard at < bytes.count else { return nil }
            let first = bytes[at]
            if first == absent { return (nil, at + 1) }
            if first < 0x80 { return (Int(first), at + 1) }
            guard at + 1 < bytes.count else { return nil }
            return (Int(first & 0x7F) << 8 | Int(bytes[at + 1]), at + 2)
        }
    }

    static let marker: UInt8 = 0

    /// Whether `bytes` are a compact report (else JSON).
    static func isCompact(_ bytes: [UInt8]) -> Bool { bytes.first == marker }

    /// The compact form of `status`; nil when a field does not fit in it (a string of 64 KiB or more).
    static func compact(_ status: InstanceStatus) -> [UInt8]? { encode(status) }

    /// Where the port is (4 bytes; the flags follow), and where the strings start.
    static let portAt = PackedVersions.versionsEnd
    static let stringsAt = portAt + 5

    /// The compact form of `status`.
    private static func encode(_ status: InstanceStatus) -> [UInt8]? {
        // Allocated at its size: the cache keeps these bytes for every report (grown from a
        // guess of 64 bytes, a longer report took 128 or more).
        var out: [UInt8] = []
        out.reserveCapacity(size(status))
        out.append(marker)
        out.append(contentsOf: repeatElement(0, count: portAt - 1))  // the version's, stamped by the cache
        func put(_ value: Int, bytes: Int) {
            for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
        }
        func put(_ string: String?) -> Bool {
            guard let string else {
                out.append(Length.absent)
                return true
            }
            let utf8 = string.utf8
            guard utf8.count < Length.limit else { return false }
            out.append(contentsOf: Length.bytes(utf8.count))
            out.append(contentsOf: utf8)
            return true
        }
        let port = status.port
        guard port >= 0, port <= Int(UInt32.max) else { return nil }
        put(port, bytes: 4)
        let standby = status.standby
        out.append((status.healthy ? 1 : 0) | (standby == nil ? 0 : 2) | (standby == true ? 4 : 0))
        guard put(status.app), put(status.environment), put(status.host), put(status.supervisor),
            put(status.session), put(status.containerAddress)
        else { return nil }
        if let reaches = status.reaches {
            guard reaches.count < Length.limit else { return nil }
            out.append(contentsOf: Length.bytes(reaches.count))
            for pool in reaches where !put(pool) { return nil }
        } else {
            out.append(Length.absent)
        }
        return out
    }

    /// The bytes of `status`'s compact form.
    private static func size(_ status: InstanceStatus) -> Int {
        let strings = [
            status.app, status.environment, status.host, status.supervisor, status.session, status.containerAddress,
        ]
        let reaches = status.reaches ?? []
        return stringsAt + Length.size(status.reaches?.count)
            + strings.reduce(0) { $0 + Length.size($1?.utf8.count) + ($1?.utf8.count ?? 0) }
            + reaches.reduce(0) { $0 + Length.size($1.utf8.count) + $1.utf8.count }
    }

    /// The report of `status`, made compact.
    init(_ status: InstanceStatus) throws(FieldTooLong) {
        guard let bytes = Self.encode(status) else { throw FieldTooLong() }
        self.init(checked: bytes)
    }

    /// A view of a compact form, checked whole (every length within the bytes, nothing after).
    init(compact bytes: [UInt8]) throws(NotCompact) {
        var at = Self.portAt
        func skip(_ count: Int) throws(NotCompact) -> Int {
            guard at + count <= bytes.count else { throw NotCompact() }
            var value = 0
            for i in 0..<count { value |= Int(bytes[at + i]) << (8 * i) }
            at += count
            return value
        }
        func length() throws(NotCompact) -> Int? {
            guard let (length, next) = Length.read(bytes, at: at) else { throw NotCompact() }
            at = next
            return length
        }
        func string(required: Bool) throws(NotCompact) {
            guard let length = try length() else {
                guard !required else { throw NotCompact() }
                return
            }
            guard at + length <= bytes.count else { throw NotCompact() }
            at += length
        }
        guard Self.isCompact(bytes), bytes.count >= Self.portAt else { throw NotCompact() }
        _ = try skip(5)  // port, flags
        for _ in 0..<3 { try string(required: true) }  // app, environment, host
        for _ in 0..<3 { try string(required: false) }  // supervisor, session, container address
        if let count = try length() {
            for _ in 0..<count { try string(required: true) }
        }
        guard at == bytes.count else { throw NotCompact() }
        self.init(checked: bytes)
    }
}
