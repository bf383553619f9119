import NIOCore

/// How a message's body is delimited, and how much of it is still to come.
enum BodyReader: Sendable {
    case none
    case length(remaining: Int)
    case chunked(ChunkedScanner)
    /// A response without length: the body ends when the backend closes.
    case untilClose

    var isComplete: Bool {
        switch self {
        case .none: return true
        case .length(let remaining): return remaining == 0
        case .chunked(let scanner): return scanner.isDone
        case .untilClose: return false
        }
    }

    /// Takes the part of `input` that belongs to this body (zero-copy slice); nil if none is there.
    mutating func take(from input: inout ByteBuffer) throws(WireError) -> ByteBuffer? {
        guard input.readableBytes > 0 else { return nil }
        switch self {
        case .none:
            return nil
        case .length(let remaining):
            guard remaining > 0 else { return nil }
            let n = min(remaining, input.readableBytes)
            self = .length(remaining: remaining - n)
            return input.readSlice(length: n)
        case .chunked(var scanner):
            guard !scanner.isDone else { return nil }
            let n = try input.withUnsafeReadableBytes { (raw) throws(WireError) in try scanner.scan(raw) }
            self = .chunked(scanner)
            return n > 0 ? input.readSlice(length: n) : nil
        case .untilClose:
            return input.readSlice(length: input.readableBytes)
        }
    }

    /// The framing of a request's body, from its head.
    static func request(_ head: RequestHead) throws(WireError) -> BodyReader {
        let fields = head.fields
        if fields.known.transferEncoding < 0 && fields.known.contentLength < 0 { return .none }
        let transferEncoding = fields.known.transferEncoding < 0 ? [] : fields.tokens("transfer-encoding")
        if !transferEncoding.isEmpty {
            guard fields.known.contentLength < 0 else {
                throw .bad("both Content-Length and Transfer-Encoding are set")
            }
            guard head.minorVersion == 1 else { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            let chunked = Array("chunked".utf8)
            guard transferEncoding.last == chunked else {
                throw WireError(status: 501, reason: "transfer coding other than chunked is not supported")
            }
            // RFC 9112 §6.1: never applied twice. A backend might read `chunked, chunked` as no
            // chunked coding at all, and the body as the next request.
            guard !transferEncoding.dropLast().contains(chunked) else {
                throw .bad("Transfer-Encoding applies chunked more than once")
            }
            return .chunked(ChunkedScanner())
        }
        if let length = try contentLength(fields) {
            return length == 0 ? .none : .length(remaining: length)
        }
        return .none
    }

    /// The framing of a response's body (RFC 9112 §6.3), given the request it answers.
    static func response(_ head: ResponseHead, toHEAD: Bool) throws(WireError) -> BodyReader {
        if toHEAD || head.status < 200 || head.status == 204 || head.status == 304 { return .none }
        let transferEncoding = head.fields.known.transferEncoding < 0 ? [] : head.fields.tokens("transfer-encoding")
        if !transferEncoding.isEmpty {
            return transferEncoding.last == Array("chunked".utf8) ? .chunked(ChunkedScanner()) : .untilClose
        }
        do {
            if let length = try contentLength(head.fields) { return length == 0 ? .none : .length(remaining: length) }
        } catch {
            throw WireError(status: 502, reason: "backend sent \(error.reason)")
        }
        return .untilClose
    }

    /// The Content-Length, if any; every value must be the same number.
    static func contentLength(_ fields: HeaderFields) throws(WireError) -> Int? {
        var result: Int?
        var valid = true
        fields.forEachLine(named: "content-length", recorded: fields.known.contentLength) { field, raw in
            let value = lengthValue(raw, from: Int(field.valueStart), to: field.lineEnd)
            if let value, result == nil || result == value { result = value } else { valid = false }
        }
        guard valid else { throw .bad("invalid Content-Length") }
        return result
    }

    /// A Content-Length value: a number, or a list of one number repeated ("5, 5"), with optional
    /// blanks around each; nil for anything else.
    private static func lengthValue(_ raw: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var result: Int?
        var i = start
        while true {
            while i < end, raw[i] == 0x20 || raw[i] == 0x09 { i += 1 }
            var value = 0
            var digits = 0
            while i < end, HeadParser.isDigit(raw[i]) {
                guard digits < 18 else { return nil }
                value = value * 10 + Int(raw[i] &- 0x30)
                digits += 1
                i += 1
            }
            while i < end, raw[i] == 0x20 || raw[i] == 0x09 { i += 1 }
            guard digits > 0, result == nil || result == value else { return nil }
            result = value
            if i == end { return result }
            guard raw[i] == 0x2C else { return nil }
            i += 1
        }
    }
}
