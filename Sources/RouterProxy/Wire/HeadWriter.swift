import NIOCore

/// Writes the heads the proxy sends: the request to the backend and the response to the client.
/// Kept field lines are copied as they came, in runs between the dropped ones (usually one copy
/// for the whole block), so nothing is decoded into strings and re-encoded.
enum HeadWriter {
    /// Whether a field is dropped as hop-by-hop: by its name, or because `Connection` lists it.
    @inline(__always)
    private static func isHopByHop(_ fields: HeaderFields, _ field: HeaderField, listed: [[UInt8]]) -> Bool {
        if fields.knownName(of: field)?.isHopByHop == true { return true }
        return !listed.isEmpty && listed.contains { fields.name(of: field, isLowercased: $0) }
    }

    /// Copies the field lines of `fields` to `out`, except those `drop` refuses, in runs.
    @inline(__always)
    private static func copyFields(_ fields: HeaderFields, to out: inout ByteBuffer, drop: (Int, HeaderField) -> Bool) {
        fields.bytes.withUnsafeReadableBytes { raw in
            guard let first = fields.fields.first else { return }
            var runStart = first.lineStart
            var runEnd = runStart
            for (index, field) in fields.fields.enumerated() {
                if drop(index, field) {
                    if runEnd > runStart { out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[runStart..<runEnd])) }
                    runStart = nextLine(raw, after: field.lineEnd)
                    runEnd = runStart
                } else {
                    runEnd = nextLine(raw, after: field.lineEnd)
                }
            }
            if runEnd > runStart { out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[runStart..<runEnd])) }
        }
    }

    /// A field line of the proxy's own.
    @inline(__always)
    private static func writeField(_ name: StaticString, _ value: String, to out: inout ByteBuffer) {
        out.writeStaticString(name)
        out.writeStaticString(": ")
        out.writeString(value)
        out.writeStaticString("\r\n")
    }

    /// The start of the line after the one whose value ends at `valueEnd` (past trailing spaces and CRLF).
    @inline(__always)
    private static func nextLine(_ raw: UnsafeRawBufferPointer, after valueEnd: Int) -> Int {
        var i = valueEnd
        while raw[i] != 0x0A { i += 1 }
        return i + 1
    }

    /// The request as the backend gets it: HTTP/1.1 (or 1.0 for a 1.0 client, so the backend
    /// frames its answer for one), hop-by-hop fields removed, `X-Forwarded-*` set; written into
    /// `out`, cleared first: its storage is reused when nothing else holds it any more (the
    /// previous head has been written out).
    /// With `originForm` (the request came with an absolute-form target), the backend gets the
    /// origin form and a `Host` naming `host`, in place of the client's.
    static func request(
        _ head: RequestHead,
        connection: ConnectionOptions,
        clientAddress: String,
        host: String,
        dropExpect: Bool,
        upgrade: HeaderField?,
        originForm: RequestTarget.OriginForm? = nil,
        length: Int? = nil,
        into out: inout ByteBuffer
    ) {
        let fields = head.fields
        let known = fields.known
        out.clear(minimumCapacity: fields.bytes.readableBytes + 96 + clientAddress.utf8.count + 2 * host.utf8.count)
        fields.bytes.withUnsafeReadableBytes { raw -> Void in
            if let originForm {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.method.lowerBound..<head.target.lowerBound]))
                if originForm.addSlash { out.writeStaticString("/") }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[originForm.rest]))
            } else {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.method.lowerBound..<head.target.upperBound]))
            }
        }
        out.writeStaticString(head.minorVersion == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n")
        let expect = dropExpect ? Int(known.expect) : -1
        let replacedHost = originForm != nil ? Int(known.host) : -1
        if originForm != nil { writeField("host", host, to: &out) }
        if let length { writeField("content-length", String(length), to: &out) }
        if known.hopByHop || expect >= 0 || replacedHost >= 0 || known.xForwardedFor >= 0 || known.xForwardedProto >= 0
            || known.xForwardedHost >= 0 || length != nil
        {
            copyFields(fields, to: &out) { index, field in
                if index == expect || index == replacedHost { return true }
                switch fields.knownName(of: field) {
                // Replaced below: a client's own X-Forwarded-Host or -Proto is not passed on (a
                // backend building links from them would take the client's word for its name).
                case .xForwardedFor, .xForwardedProto, .xForwardedHost: return true
                case .contentLength where length != nil: return true  // written above, as one number
                default: return known.hopByHop && isHopByHop(fields, field, listed: connection.listed)
                }
            }
        } else {
            copyFields(fields, to: &out) { _, _ in false }
        }
        out.writeStaticString("x-forwarded-for: ")
        if known.xForwardedFor >= 0 {
            // Every line the client sent, in order (a list split over lines is one list).
            fields.bytes.withUnsafeReadableBytes { raw -> Void in
                for field in fields.fields[Int(known.xForwardedFor)...]
                where fields.knownName(of: field) == .xForwardedFor {
                    guard field.valueLength > 0 else { continue }
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<field.lineEnd]))
                    out.writeStaticString(", ")
                }
            }
        }
        out.writeString(clientAddress)
        out.writeStaticString("\r\nx-forwarded-proto: http\r\n")
        writeField("x-forwarded-host", host, to: &out)
        if let upgrade {
            out.writeStaticString("connection: upgrade\r\nupgrade: ")
            _ = fields.bytes.withUnsafeReadableBytes { raw in
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[Int(upgrade.valueStart)..<upgrade.lineEnd]))
            }
            out.writeStaticString("\r\n")
        } else if head.minorVersion == 0 {
            out.writeStaticString("connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
    }

    /// How the response tells the client about the connection.
    enum ConnectionHeader { case none, close, keepAlive }

    /// The response as the client gets it: HTTP/1.1, hop-by-hop fields removed (all fields kept
    /// for a 101, whose `Upgrade` and `Connection` belong to the switch). `extra` bytes of room
    /// are reserved for a body written after it.
    static func response(
        _ head: ResponseHead,
        backendConnection: ConnectionOptions,
        connection: ConnectionHeader,
        allocator: ByteBufferAllocator,
        extra: Int = 0,
        length: Int? = nil
    ) -> ByteBuffer {
        var out = allocator.buffer(capacity: 0)
        response(
            head,
            backendConnection: backendConnection,
            connection: connection,
            extra: extra,
            length: length,
            into: &out
        )
        return out
    }

    /// Writes the response head into `out`, cleared first (see `request(_:...:into:)`).
    static func response(
        _ head: ResponseHead,
        backendConnection: ConnectionOptions,
        connection: ConnectionHeader,
        extra: Int = 0,
        length: Int? = nil,
        into out: inout ByteBuffer
    ) {
        let fields = head.fields
        out.clear(minimumCapacity: fields.bytes.readableBytes + 26 + extra)
        out.writeStaticString("HTTP/1.1")
        _ = fields.bytes.withUnsafeReadableBytes { raw in
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.statusRest]))
        }
        out.writeStaticString("\r\n")
        // Transfer-Encoding overrides Content-Length, which is not passed on with it (RFC 9112
        // §6.3): a client or cache further on must not frame the body by the length.
        // A length that came as a list goes on as one number (`length`).
        let dropLength = fields.known.contentLength >= 0 && (fields.known.transferEncoding >= 0 || length != nil)
        if let length, fields.known.transferEncoding < 0 { writeField("content-length", String(length), to: &out) }
        if head.status == 101 || (!fields.known.hopByHop && !dropLength) {
            copyFields(fields, to: &out) { _, _ in false }
        } else {
            copyFields(fields, to: &out) { _, field in
                if dropLength && fields.knownName(of: field) == .contentLength { return true }
                return fields.known.hopByHop && isHopByHop(fields, field, listed: backendConnection.listed)
            }
        }
        switch connection {
        case .none: break
        case .close: out.writeStaticString("connection: close\r\n")
        case .keepAlive: out.writeStaticString("connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
    }

    /// A short plain-text answer of the proxy's own.
    static func error(status: Int, message: String, close: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 128 + message.utf8.count)
        out.writeString(
            "HTTP/1.1 \(status) \(reason(status))\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: \(message.utf8.count)\r\n"
        )
        if close { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
        out.writeString(message)
        return out
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 413: return "Content Too Large"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }
}
