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
    /// A second `Host` line: the request is refused (which one would the backend take?).
    var hostRepeated = false

    /// Records field `index` by its name.
    @inline(__always)
    mutating func note(_ index: Int, name: UnsafeRawBufferPointer) {
        guard let known = FieldName(name) else { return }
        if known.isHopByHop { hopByHop = true }
        let slot = Int16(truncatingIfNeeded: index)
        func first(_ field: inout Int16) { if field < 0 { field = slot } }
        func only(_ field: inout Int16) { if field >= 0 { repeated = true } else { field = slot } }
        switch known {
        case .host: if host >= 0 { hostRepeated = true } else { host = slot }
        case .expect: first(&expect)
        case .upgrade: first(&upgrade)
        case .xForwardedFor: first(&xForwardedFor)
        case .xForwardedHost: first(&xForwardedHost)
        case .xForwardedProto: first(&xForwardedProto)
        case .connection: only(&connection)
        case .contentLength: only(&contentLength)
        case .transferEncoding: only(&transferEncoding)
        case .te, .trailer, .keepAlive, .proxyConnection, .proxyAuthenticate, .proxyAuthorization: break
        }
    }
}

/// What the `Connection` fields say (nothing is allocated unless they name other fields).
struct ConnectionOptions: Sendable {
    var close = false
    var keepAlive = false
    var upgrade = false
    /// Other fields named (lower-cased), which are then hop-by-hop too, except those
    /// `FieldName.isKeptWhenListedInConnection` (Host and the framing fields).
    var listed: [[UInt8]] = []
}

/// The fields of a parsed head, read in place: no string is made unless asked for.
struct HeaderFields: Sendable {
    /// The whole head, start line through the blank line.
    let bytes: ByteBuffer
    let fields: [HeaderField]
    let known: KnownFields

    func field(_ index: Int16) -> HeaderField? { index >= 0 ? fields[Int(index)] : nil }

    /// Each line of a field the parser records once (`recorded`, -1 when absent): that line only,
    /// unless some such field repeats, then every line named `lowercaseName`. No array is made.
    func forEachLine(
        named lowercaseName: StaticString,
        recorded: Int16,
        _ body: (HeaderField, UnsafeRawBufferPointer) -> Void
    ) {
        guard recorded >= 0 else { return }
        let first = Int(recorded)
        bytes.withUnsafeReadableBytes { raw in
            for index in known.repeated ? fields.indices : first..<(first + 1) {
                let field = fields[index]
                if index == first || equalsIgnoringCase(Self.name(of: field, in: raw), lowercaseName) {
                    body(field, raw)
                }
            }
        }
    }

    /// The `Connection` options (of every `Connection` line).
    var connectionOptions: ConnectionOptions {
        var options = ConnectionOptions()
        forEachLine(named: "connection", recorded: known.connection) { field, raw in
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
                if equalsIgnoringCase(token, "close") {
                    options.close = true
                } else if equalsIgnoringCase(token, "keep-alive") {
                    options.keepAlive = true
                } else if equalsIgnoringCase(token, "upgrade") {
                    options.upgrade = true
                } else if FieldName(token)?.isKeptWhenListedInConnection != true {
                    options.listed.append(token.map(lowercased))
                }
            }
        }
        return options
    }

    /// Whether a field's name equals `lowercaseName` (ASCII, compared case-insensitively).
    func name(of field: HeaderField, is lowercaseName: StaticString) -> Bool {
        bytes.withUnsafeReadableBytes { equalsIgnoringCase(Self.name(of: field, in: $0), lowercaseName) }
    }

    /// The field's name, if it is one the proxy acts on.
    func knownName(of field: HeaderField) -> FieldName? {
        bytes.withUnsafeReadableBytes { FieldName(Self.name(of: field, in: $0)) }
    }

    private static func name(of field: HeaderField, in raw: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameStart + field.nameLength)])
    }

    func name(of field: HeaderField, isLowercased candidate: [UInt8]) -> Bool {
        guard Int(field.nameLength) == candidate.count else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let start = Int(field.nameStart)
            for i in 0..<candidate.count where lowercased(raw[start + i]) != candidate[i] { return false }
            return true
        }
    }

    /// Content-Length came as a list ("5, 5") or on more than one line (RFC 9110 §8.6 lets the
    /// proxy take it): it is sent on as one number, so the next recipient need not.
    var contentLengthIsList: Bool {
        guard known.contentLength >= 0 else { return false }
        if known.repeated { return true }
        let field = fields[Int(known.contentLength)]
        return bytes.withUnsafeReadableBytes { raw in
            raw[Int(field.valueStart)..<field.lineEnd].contains { !HeadParser.isDigit($0) }
        }
    }

    /// The one number to send in place of a Content-Length list, for a body framed by `framing`
    /// (nil when the length came as one number, or frames no body of this message's own).
    func singleContentLength(for framing: BodyReader) -> Int? {
        guard case .length(let length) = framing, contentLengthIsList else { return nil }
        return length
    }

    func value(_ field: HeaderField) -> String {
        bytes.withUnsafeReadableBytes { raw in
            String(
                decoding: UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<field.lineEnd]),
                as: UTF8.self
            )
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
                    let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
                        .reversed()
                    if !trimmed.isEmpty { tokens.append(trimmed.map(lowercased)) }
                }
            }
        }
        return tokens
    }

    /// Whether the value of a field equals `lowercaseValue`, ignoring case.
    func value(of field: HeaderField, is lowercaseValue: StaticString) -> Bool {
        bytes.withUnsafeReadableBytes {
            equalsIgnoringCase(
                UnsafeRawBufferPointer(rebasing: $0[Int(field.valueStart)..<field.lineEnd]),
                lowercaseValue
            )
        }
    }
}
