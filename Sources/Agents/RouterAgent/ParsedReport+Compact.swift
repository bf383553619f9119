import ZKModel

/// A report's routing fields in a few bytes: what a router's cache keeps of each report instead
/// of its JSON (at 50,000 reports the JSON was 14 MiB kept only to be parsed once). Byte 0 is
/// NUL (no JSON starts with it), then the fields in order: strings as a 2-byte length and their
/// UTF-8, optionals with 0xFFFF for nil, the port in 4 bytes, one byte of flags.
extension ParsedReport {
    struct NotCompact: Error, CustomStringConvertible {
        var description: String { "the cached instance report is cut short or not in the router's compact form" }
    }

    static let marker: UInt8 = 0

    /// Whether `bytes` are a compact report (else JSON).
    static func isCompact(_ bytes: [UInt8]) -> Bool { bytes.first == marker }

    /// The compact form; nil when a field does not fit in it (a string of 64 KiB or more).
    func compact() -> [UInt8]? {
        var out: [UInt8] = [Self.marker]
        out.reserveCapacity(64)
        func put(_ value: Int, bytes: Int) {
            for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
        }
        func put(_ string: String?) -> Bool {
            guard let string else {
                put(0xFFFF, bytes: 2)
                return true
            }
            let utf8 = string.utf8
            guard utf8.count < 0xFFFF else { return false }
            put(utf8.count, bytes: 2)
            out.append(contentsOf: utf8)
            return true
        }
        guard put(app), put(environment), put(host), port >= 0, port <= Int(UInt32.max) else { return nil }
        put(port, bytes: 4)
        out.append((healthy ? 1 : 0) | (standby == nil ? 0 : 2) | (standby == true ? 4 : 0))
        guard put(supervisor), put(session), put(containerAddress) else { return nil }
        if let reaches {
            guard reaches.count < 0xFFFF else { return nil }
            put(reaches.count, bytes: 2)
            for pool in reaches where !put(pool) { return nil }
        } else {
            put(0xFFFF, bytes: 2)
        }
        return out
    }

    /// A report from its compact form.
    convenience init(compact bytes: [UInt8]) throws {
        var at = 1
        func take(_ count: Int) throws -> Int {
            guard at + count <= bytes.count else { throw NotCompact() }
            var value = 0
            for i in 0..<count { value |= Int(bytes[at + i]) << (8 * i) }
            at += count
            return value
        }
        func string() throws -> String? {
            let length = try take(2)
            if length == 0xFFFF { return nil }
            guard at + length <= bytes.count else { throw NotCompact() }
            defer { at += length }
            return String(decoding: bytes[at..<at + length], as: UTF8.self)
        }
        func required() throws -> String {
            guard let value = try string() else { throw NotCompact() }
            return value
        }
        guard Self.isCompact(bytes) else { throw NotCompact() }
        let (app, environment, host) = (try required(), try required(), try required())
        let port = try take(4)
        let flags = try take(1)
        let (supervisor, session, containerAddress) = (try string(), try string(), try string())
        let count = try take(2)
        var reaches: [String]?
        if count != 0xFFFF { reaches = try (0..<count).map { _ in try required() } }
        guard at == bytes.count else { throw NotCompact() }
        self.init(
            app: app,
            environment: environment,
            host: host,
            port: port,
            healthy: flags & 1 != 0,
            standby: flags & 2 == 0 ? nil : flags & 4 != 0,
            supervisor: supervisor,
            session: session,
            containerAddress: containerAddress,
            reaches: reaches
        )
    }
}
