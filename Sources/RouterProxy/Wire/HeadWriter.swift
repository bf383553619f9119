import NIOCore

/// Writes the heads the proxy sends: the request to the backend and the response to the client,
/// copying each kept field line as it came, so nothing is decoded into strings and re-encoded.
enum HeadWriter {
    /// Hop-by-hop fields (RFC 9110 §7.6.1), dropped in both directions. Framing fields stay:
    /// bodies are forwarded with their framing.
    @inline(__always)
    static func isHopByHop(_ fields: HeaderFields, _ field: HeaderField) -> Bool {
        switch field.nameLength {
        case 2: return fields.name(of: field, is: "te")
        case 7: return fields.name(of: field, is: "upgrade") || fields.name(of: field, is: "trailer")
        case 10: return fields.name(of: field, is: "connection") || fields.name(of: field, is: "keep-alive")
        case 16: return fields.name(of: field, is: "proxy-connection")
        case 18: return fields.name(of: field, is: "proxy-authenticate")
        case 19: return fields.name(of: field, is: "proxy-authorization")
        default: return false
        }
    }

    /// Field names the `Connection` header lists (hop-by-hop too), except framing fields.
    static func connectionListed(_ fields: HeaderFields) -> [[UInt8]] {
        fields.tokens("connection").filter {
            $0 != Array("close".utf8) && $0 != Array("keep-alive".utf8) && $0 != Array("content-length".utf8)
                && $0 != Array("transfer-encoding".utf8)
        }
    }

    /// The request as the backend gets it: HTTP/1.1 (or 1.0 for a 1.0 client, so the backend
    /// frames its answer for one), hop-by-hop fields removed, `X-Forwarded-*` set.
    static func request(
        _ head: RequestHead, clientAddress: String, host: String, dropExpect: Bool, upgrade: HeaderField?,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let fields = head.fields
        var out = allocator.buffer(capacity: fields.bytes.readableBytes + 96 + clientAddress.utf8.count + host.utf8.count)
        let listed = fields.fields.count > 0 && fields.contains("connection") ? connectionListed(fields) : []
        var priorForwardedFor: HeaderField?
        var hasForwardedHost = false
        fields.bytes.withUnsafeReadableBytes { raw in
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.method.lowerBound..<head.target.upperBound]))
            out.writeStaticString(head.minorVersion == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n")
            for field in fields.fields {
                if isHopByHop(fields, field) { continue }
                switch field.nameLength {
                case 6 where dropExpect && fields.name(of: field, is: "expect"): continue
                case 15 where fields.name(of: field, is: "x-forwarded-for"):
                    if priorForwardedFor == nil { priorForwardedFor = field }
                    continue
                case 16 where fields.name(of: field, is: "x-forwarded-host"): hasForwardedHost = true
                case 17 where fields.name(of: field, is: "x-forwarded-proto"): continue
                default: break
                }
                if !listed.isEmpty && listed.contains(where: { fields.name(of: field, isLowercased: $0) }) { continue }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[field.lineStart..<field.lineEnd]))
                out.writeStaticString("\r\n")
            }
            out.writeStaticString("x-forwarded-for: ")
            if let prior = priorForwardedFor {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[Int(prior.valueStart)..<prior.lineEnd]))
                out.writeStaticString(", ")
            }
        }
        out.writeString(clientAddress)
        out.writeStaticString("\r\nx-forwarded-proto: http\r\n")
        if !hasForwardedHost {
            out.writeStaticString("x-forwarded-host: ")
            out.writeString(host)
            out.writeStaticString("\r\n")
        }
        if let upgrade {
            out.writeStaticString("connection: upgrade\r\nupgrade: ")
            fields.bytes.withUnsafeReadableBytes { raw in
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[Int(upgrade.valueStart)..<upgrade.lineEnd]))
            }
            out.writeStaticString("\r\n")
        } else if head.minorVersion == 0 {
            out.writeStaticString("connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
        return out
    }

    /// How the response tells the client about the connection.
    enum ConnectionHeader { case none, close, keepAlive }

    /// The response as the client gets it: HTTP/1.1, hop-by-hop fields removed (all fields kept
    /// for a 101, whose `Upgrade` and `Connection` belong to the switch).
    static func response(_ head: ResponseHead, connection: ConnectionHeader, allocator: ByteBufferAllocator) -> ByteBuffer {
        let fields = head.fields
        var out = allocator.buffer(capacity: fields.bytes.readableBytes + 24)
        let keepAll = head.status == 101
        let listed = !keepAll && fields.contains("connection") ? connectionListed(fields) : []
        fields.bytes.withUnsafeReadableBytes { raw in
            out.writeStaticString("HTTP/1.1")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.statusRest]))
            out.writeStaticString("\r\n")
            for field in fields.fields {
                if !keepAll {
                    if isHopByHop(fields, field) { continue }
                    if !listed.isEmpty && listed.contains(where: { fields.name(of: field, isLowercased: $0) }) { continue }
                }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[field.lineStart..<field.lineEnd]))
                out.writeStaticString("\r\n")
            }
        }
        switch connection {
        case .none: break
        case .close: out.writeStaticString("connection: close\r\n")
        case .keepAlive: out.writeStaticString("connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
        return out
    }

    /// A short plain-text answer of the proxy's own.
    static func error(status: Int, message: String, close: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 128 + message.utf8.count)
        out.writeString("HTTP/1.1 \(status) \(reason(status))\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: \(message.utf8.count)\r\n")
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
