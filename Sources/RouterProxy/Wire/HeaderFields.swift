import NIOCore

/// One `name: value` line of a head, as offsets into the head's bytes (value trimmed of spaces).
struct HeaderField: Sendable {
    var nameStart: Int32
    var nameLength: Int32
    var valueStart: Int32
    var valueLength: Int32

    var lineStart: Int { Int(nameStart) }
    var lineEnd: Int { Int(valueStart + valueLength) }
}

/// Where the fields the proxy looks at on every message are, found while parsing (-1: absent).
struct KnownFields: Sendable {
    var host: Int16 = -1
    var connection: Int16 = -1
    var contentLength: Int16 = -1
    var transferEncoding: Int16 = -1
    var upgrade: Int16 = -1
    var expect: Int16 = -1
    var xForwardedFor: Int16 = -1
    var xForwardedHost: Int16 = -1
    var xForwardedProto: Int16 = -1
    /// Any hop-by-hop field (including `Connection`).
    var hopByHop = false
    /// A second `Connection`, `Content-Length` or `Transfer-Encoding` line: read them all.
    var repeated = false

    /// Records field `index` by its name (lower-cased bytes at `name`).
    @inline(__always)
    mutating func note(_ index: Int, name: UnsafeRawBufferPointer) {
        @inline(__always) func set(_ slot: inout Int16) {
            if slot >= 0 { repeated = true } else { slot = Int16(truncatingIfNeeded: index) }
        }
        @inline(__always) func eq(_ literal: StaticString) -> Bool {
            guard name.count == literal.utf8CodeUnitCount else { return false }
            let expected = literal.utf8Start
            for i in 0..<name.count where lowercased(name[i]) != expected[i] { return false }
            return true
        }
        switch name.count {
        case 2: if eq("te") { hopByHop = true }
        case 4: if eq("host"), host < 0 { host = Int16(truncatingIfNeeded: index) }
        case 6: if eq("expect"), expect < 0 { expect = Int16(truncatingIfNeeded: index) }
        case 7:
            if eq("upgrade") {
                hopByHop = true
                if upgrade < 0 { upgrade = Int16(truncatingIfNeeded: index) }
            } else if eq("trailer") {
                hopByHop = true
            }
        case 10:
            if eq("connection") {
                hopByHop = true
                set(&connection)
            } else if eq("keep-alive") {
                hopByHop = true
            }
        case 14: if eq("content-length") { set(&contentLength) }
        case 15: if eq("x-forwarded-for"), xForwardedFor < 0 { xForwardedFor = Int16(truncatingIfNeeded: index) }
        case 16:
            if eq("x-forwarded-host") {
                if xForwardedHost < 0 { xForwardedHost = Int16(truncatingIfNeeded: index) }
            } else if eq("proxy-connection") {
                hopByHop = true
            }
        case 17:
            if eq("transfer-encoding") {
                set(&transferEncoding)
            } else if eq("x-forwarded-proto") {
                xForwardedProto = Int16(truncatingIfNeeded: index)
            }
        case 18: if eq("proxy-authenticate") { hopByHop = true }
        case 19: if eq("proxy-authorization") { hopByHop = true }
        default: break
        }
    }
}

/// What a `Connection` field says, read without allocating.
struct ConnectionOptions: Sendable {
    var close = false
    var keepAlive = false
    var upgrade = false
    /// Names other fields, which are then hop-by-hop too.
    var listsFields = false
}

/// The fields of a parsed head, read in place: no string is made unless asked for.
struct HeaderFields: Sendable {
    /// The whole head, start line through the blank line.
    let bytes: ByteBuffer
    let fields: [HeaderField]
    let known: KnownFields

    func field(_ index: Int16) -> HeaderField? { index >= 0 ? fields[Int(index)] : nil }

    /// The `Connection` options (of every `Connection` line).
    var connectionOptions: ConnectionOptions {
        var options = ConnectionOptions()
        guard known.connection >= 0 else { return options }
        let lines = known.repeated ? fields.filter { name(of: $0, is: "connection") } : [fields[Int(known.connection)]]
        bytes.withUnsafeReadableBytes { raw in
            for field in lines {
                var i = Int(field.valueStart)
                let end = field.lineEnd
                while i < end {
                    while i < end, raw[i] == 0x20 || raw[i] == 0x09 || raw[i] == 0x2C { i += 1 }
                    let start = i
                    while i < end, raw[i] != 0x2C { i += 1 }
                    var stop = i
                    while stop > start, raw[stop - 1] == 0x20 || raw[stop - 1] == 0x09 { stop -= 1 }
                    guard stop > start else { continue }
                    let token = UnsafeRawBufferPointer(rebasing: raw[start..<stop])
                    if Self.equals(token, "close") {
                        options.close = true
                    } else if Self.equals(token, "keep-alive") {
                        options.keepAlive = true
                    } else if Self.equals(token, "upgrade") {
                        options.upgrade = true
                    } else {
                        options.listsFields = true
                    }
                }
            }
        }
        return options
    }

    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ lowercaseLiteral: StaticString) -> Bool {
        guard bytes.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        let expected = lowercaseLiteral.utf8Start
        for i in 0..<bytes.count where lowercased(bytes[i]) != expected[i] { return false }
        return true
    }

    /// Whether a field's name equals `lowercaseName` (ASCII, compared case-insensitively).
    func name(of field: HeaderField, is lowercaseName: StaticString) -> Bool {
        guard Int(field.nameLength) == lowercaseName.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let expected = UnsafeRawBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
            let start = Int(field.nameStart)
            for i in 0..<expected.count where raw[start + i] | 0x20 != expected[i] { return false }
            return true
        }
    }

    func name(of field: HeaderField, isLowercased candidate: [UInt8]) -> Bool {
        guard Int(field.nameLength) == candidate.count else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let start = Int(field.nameStart)
            for i in 0..<candidate.count where lowercased(raw[start + i]) != candidate[i] { return false }
            return true
        }
    }

    func value(_ field: HeaderField) -> String {
        bytes.withUnsafeReadableBytes { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<field.lineEnd]), as: UTF8.self)
        }
    }

    func value(_ lowercaseName: StaticString) -> String? {
        fields.first { name(of: $0, is: lowercaseName) }.map(value)
    }

    /// The value of the first field named `name` (any case), for header-matching routes.
    func value(named name: String) -> String? {
        let lower = Array(name.lowercased().utf8)
        return fields.first { self.name(of: $0, isLowercased: lower) }.map(value)
    }

    /// The comma-separated tokens of every field named `lowercaseName`, lower-cased and trimmed.
    func tokens(_ lowercaseName: StaticString) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for field in fields where name(of: field, is: lowercaseName) {
            bytes.withUnsafeReadableBytes { raw in
                for token in raw[Int(field.valueStart)..<field.lineEnd].split(separator: UInt8(ascii: ",")) {
                    let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
                    if !trimmed.isEmpty { tokens.append(trimmed.map(lowercased)) }
                }
            }
        }
        return tokens
    }

    /// Whether the value of a field equals `lowercaseValue`, ignoring case.
    func value(of field: HeaderField, is lowercaseValue: StaticString) -> Bool {
        guard Int(field.valueLength) == lowercaseValue.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let expected = UnsafeRawBufferPointer(start: lowercaseValue.utf8Start, count: lowercaseValue.utf8CodeUnitCount)
            let start = Int(field.valueStart)
            for i in 0..<expected.count {
                if lowercased(raw[start + i]) != expected[i] { return false }
            }
            return true
        }
    }
}

@inline(__always) func lowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
