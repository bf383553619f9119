import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request's head: method, target, version and fields, read in place.
struct RequestHead: Sendable {
    var fields: HeaderFields
    var method: Range<Int>
    var target: Range<Int>
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int

    func methodIs(_ name: StaticString) -> Bool {
        guard method.count == name.utf8CodeUnitCount else { return false }
        return fields.bytes.withUnsafeReadableBytes { raw in
            memcmp(raw.baseAddress! + method.lowerBound, name.utf8Start, method.count) == 0
        }
    }
}

/// A response's head: status code, the rest of the status line, and fields.
struct ResponseHead: Sendable {
    var fields: HeaderFields
    var status: Int
    /// The status line after the version: " 200 OK".
    var statusRest: Range<Int>
    var minorVersion: Int
}

/// Parses HTTP/1.x heads strictly (RFC 9112): CRLF line ends, token names, no folded lines, no
/// control characters in values. Returns nil while the head is incomplete.
enum HeadParser {
    static let maxFields = 500

    /// Parses into `fields`, emptied first: a connection passes the same array for each of its
    /// heads, so its storage is reused once the previous head is gone.
    static func request(
        _ buffer: ByteBuffer,
        maxBytes: Int,
        fields: inout [HeaderField]
    ) throws(WireError) -> (head: RequestHead, length: Int)? {
        fields.removeAll(keepingCapacity: true)
        let parsed: (Int, Int, Range<Int>, Range<Int>, Int, KnownFields)?
        parsed = try buffer.withUnsafeReadableBytes { (raw) throws(WireError) in
            try parseRequest(raw, maxBytes: maxBytes, fields: &fields)
        }
        guard let (skip, length, method, target, minor, known) = parsed else { return nil }
        let bytes = buffer.getSlice(at: buffer.readerIndex + skip, length: length)!
        return (
            RequestHead(
                fields: HeaderFields(bytes: bytes, fields: fields, known: known),
                method: method,
                target: target,
                minorVersion: minor
            ),
            skip + length
        )
    }

    /// Parses into `fields`, emptied first (see `request(_:maxBytes:fields:)`).
    static func response(
        _ buffer: ByteBuffer,
        maxBytes: Int,
        fields: inout [HeaderField]
    ) throws(WireError) -> (head: ResponseHead, length: Int)? {
        fields.removeAll(keepingCapacity: true)
        let parsed: (Int, Range<Int>, Int, KnownFields)?
        parsed = try buffer.withUnsafeReadableBytes { (raw) throws(WireError) in
            try parseResponse(raw, maxBytes: maxBytes, fields: &fields)
        }
        guard let (length, rest, minor, known) = parsed else { return nil }
        let bytes = buffer.getSlice(at: buffer.readerIndex, length: length)!
        let status = bytes.withUnsafeReadableBytes { raw in
            (Int(raw[rest.lowerBound + 1]) - 48) * 100 + (Int(raw[rest.lowerBound + 2]) - 48) * 10
                + Int(raw[rest.lowerBound + 3]) - 48
        }
        return (
            ResponseHead(
                fields: HeaderFields(bytes: bytes, fields: fields, known: known),
                status: status,
                statusRest: rest,
                minorVersion: minor
            ), length
        )
    }

    /// The end of the line starting at `start` (the index of its LF), nil if not there yet.
    @inline(__always)
    private static func lineEnd(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < raw.count, let p = memchr(raw.baseAddress! + start, 0x0A, raw.count - start) else { return nil }
        return raw.baseAddress!.distance(to: UnsafeRawPointer(p))
    }

    private static func parseRequest(
        _ raw: UnsafeRawBufferPointer,
        maxBytes: Int,
        fields: inout [HeaderField]
    ) throws(WireError)
        -> (Int, Int, Range<Int>, Range<Int>, Int, KnownFields)?
    {
        // Empty lines before a request are ignored (RFC 9112 §2.2).
        var skip = 0
        while skip + 1 < raw.count, raw[skip] == 0x0D, raw[skip + 1] == 0x0A, skip < 8 { skip += 2 }
        guard let lf = lineEnd(raw, from: skip) else { return try incomplete(raw, maxBytes) }
        guard lf > skip, raw[lf - 1] == 0x0D else { throw .bad("request line does not end in CRLF") }
        let line = skip..<(lf - 1)
        guard let sp1 = firstSpace(raw, in: line), sp1 > line.lowerBound else { throw .bad("malformed request line") }
        for i in line.lowerBound..<sp1 where !isToken(raw[i]) { throw .bad("malformed method in request line") }
        guard let sp2 = firstSpace(raw, in: (sp1 + 1)..<line.upperBound), sp2 > sp1 + 1 else {
            throw .bad("malformed request line: expected METHOD TARGET HTTP/1.1")
        }
        for i in (sp1 + 1)..<sp2 where raw[i] <= 0x20 || raw[i] == 0x7F {
            throw .bad("request target contains a control character")
        }
        let minor = try version(raw, (sp2 + 1)..<line.upperBound)
        guard let (length, known) = try parseFields(raw, from: lf + 1, base: skip, maxBytes: maxBytes, into: &fields)
        else {
            return try incomplete(raw, maxBytes)
        }
        return (skip, length, (line.lowerBound - skip)..<(sp1 - skip), (sp1 + 1 - skip)..<(sp2 - skip), minor, known)
    }

    private static func parseResponse(
        _ raw: UnsafeRawBufferPointer,
        maxBytes: Int,
        fields list: inout [HeaderField]
    ) throws(WireError)
        -> (Int, Range<Int>, Int, KnownFields)?
    {
        guard let lf = lineEnd(raw, from: 0) else {
            if raw.count > maxBytes {
                throw WireError(status: 502, reason: "backend head larger than \(maxBytes) bytes")
            }
            return nil
        }
        guard lf > 0, raw[lf - 1] == 0x0D else {
            throw WireError(status: 502, reason: "backend status line does not end in CRLF")
        }
        let line = 0..<(lf - 1)
        guard line.count >= 12, raw[8] == 0x20, (0..<3).allSatisfy({ isDigit(raw[9 + $0]) }),
            line.count == 12 || raw[12] == 0x20
        else {
            throw WireError(status: 502, reason: "backend sent a malformed status line")
        }
        // RFC 9110 §15: 100 to 599; a "099" would otherwise pass for an interim response.
        guard raw[9] >= UInt8(ascii: "1"), raw[9] <= UInt8(ascii: "5") else {
            throw WireError(status: 502, reason: "backend sent a status outside 100-599")
        }
        let minor: Int
        do { minor = try version(raw, 0..<8) } catch {
            throw WireError(status: 502, reason: "backend answered in \(error.reason)")
        }
        let fields: (Int, KnownFields)?
        do { fields = try parseFields(raw, from: lf + 1, base: 0, maxBytes: maxBytes, into: &list) } catch {
            throw WireError(status: 502, reason: "backend sent a malformed head: \(error.reason)")
        }
        guard let (length, known) = fields else {
            if raw.count > maxBytes {
                throw WireError(status: 502, reason: "backend head larger than \(maxBytes) bytes")
            }
            return nil
        }
        return (length, 8..<line.upperBound, minor, known)
    }

    private static func incomplete<T>(_ raw: UnsafeRawBufferPointer, _ maxBytes: Int) throws(WireError) -> T? {
        if raw.count > maxBytes { throw WireError(status: 431, reason: "request head larger than \(maxBytes) bytes") }
        return nil
    }

    private static func version(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws(WireError) -> Int {
        let s = range.lowerBound
        guard range.count == 8, raw[s] == 0x48, raw[s + 1] == 0x54, raw[s + 2] == 0x54, raw[s + 3] == 0x50,
            raw[s + 4] == 0x2F, raw[s + 5] == 0x31, raw[s + 6] == 0x2E
        else {
            if range.count >= 5, raw[range.lowerBound] == 0x48, raw[range.lowerBound + 4] == 0x2F {
                throw WireError(status: 505, reason: "HTTP version not supported (HTTP/1.0 and HTTP/1.1 are)")
            }
            throw .bad("malformed HTTP version")
        }
        switch raw[range.lowerBound + 7] {
        case 0x30: return 0
        // A later HTTP/1.x is read as HTTP/1.1, the highest 1.x the proxy speaks (RFC 9110 §2.5).
        case 0x31...0x39: return 1
        default: throw .bad("malformed HTTP version")
        }
    }

    /// Field lines from `start` to the blank line, appended to `fields`: the head's length
    /// (relative to `base`), nil while incomplete.
    private static func parseFields(
        _ raw: UnsafeRawBufferPointer,
        from start: Int,
        base: Int,
        maxBytes: Int,
        into fields: inout [HeaderField]
    ) throws(WireError)
        -> (Int, KnownFields)?
    {
        var known = KnownFields()
        if fields.capacity < 12 { fields.reserveCapacity(12) }
        var position = start
        while true {
            guard let lf = lineEnd(raw, from: position) else { return nil }
            if lf - base >= maxBytes {
                throw WireError(status: 431, reason: "request head larger than \(maxBytes) bytes")
            }
            guard lf > position, raw[lf - 1] == 0x0D else { throw .bad("header line does not end in CRLF") }
            let end = lf - 1
            if end == position { return (lf + 1 - base, known) }
            if raw[position] == 0x20 || raw[position] == 0x09 { throw .bad("folded header lines are not allowed") }
            if fields.count == maxFields {
                throw WireError(status: 431, reason: "more than \(maxFields) header fields")
            }
            var colon = position
            while colon < end, raw[colon] != 0x3A {
                guard isToken(raw[colon]) else {
                    throw .bad("malformed header name: only token characters, no spaces, before the colon")
                }
                colon += 1
            }
            guard colon < end, colon > position else {
                throw .bad("header line without a colon")
            }
            var valueStart = colon + 1
            while valueStart < end, raw[valueStart] == 0x20 || raw[valueStart] == 0x09 { valueStart += 1 }
            var valueEnd = end
            while valueEnd > valueStart, raw[valueEnd - 1] == 0x20 || raw[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            for i in valueStart..<valueEnd {
                let b = raw[i]
                if (b < 0x20 && b != 0x09) || b == 0x7F { throw .bad("header value contains a control character") }
            }
            known.note(fields.count, name: UnsafeRawBufferPointer(rebasing: raw[position..<colon]))
            fields.append(
                HeaderField(
                    nameStart: Int32(position - base),
                    nameLength: Int32(colon - position),
                    valueStart: Int32(valueStart - base),
                    valueLength: Int32(valueEnd - valueStart)
                )
            )
            position = lf + 1
        }
    }

    @inline(__always)
    private static func firstSpace(_ raw: UnsafeRawBufferPointer, in range: Range<Int>) -> Int? {
        var i = range.lowerBound
        while i < range.upperBound {
            if raw[i] == 0x20 { return i }
            i += 1
        }
        return nil
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// tchar (RFC 9110 §5.6.2): DIGIT, ALPHA and !#$%&'*+-.^_`|~, as one bit per ASCII byte.
    @inline(__always)
    static func isToken(_ b: UInt8) -> Bool {
        let below64: UInt64 = 0x03FF_6CFA_0000_0000
        let from64: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        if b < 64 { return (below64 >> UInt64(b)) & 1 == 1 }
        return b < 128 && (from64 >> UInt64(b - 64)) & 1 == 1
    }
}
