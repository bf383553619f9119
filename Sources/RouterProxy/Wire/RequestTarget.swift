import NIOCore
import RouterData

/// Where a request goes, read from its request line and `Host` (RFC 9112 §3.2) and checked
/// before it is routed:
/// - exactly one `Host` line, and an HTTP/1.1 request must have it;
/// - `Host` holds a host and an optional port, nothing else (no path, no user, no spaces);
/// - the target is in origin form (`/path?query`), absolute form (`http://host/path?query`: its
///   host wins over `Host`, and the backend gets the origin form with a `Host` that agrees), or
///   `*`, for OPTIONS only; never with a fragment (`#`);
/// - the path is routed with its escaped unreserved characters decoded and its dot segments
///   resolved, as the backend will read it, so `/web/../api/x` and `/web/%2e%2e/api/x` go where
///   `/api/x` goes; one that climbs above the root, or has a malformed escape, is refused.
struct RequestTarget: Sendable {
    /// The host the request is for, as given (routing ignores case, port and a trailing dot).
    var host: String
    /// The target routed by: escapes normalized and dot segments resolved, the query kept.
    var routed: String
    /// For an absolute-form target, what the backend gets instead of it.
    var originForm: OriginForm?

    /// The origin form of an absolute-form target: `/` when its path is empty, then the bytes of
    /// `rest` (the path and query, a range of the head's bytes).
    struct OriginForm: Sendable, Equatable {
        var rest: Range<Int>
        var addSlash: Bool
    }

    init(_ head: RequestHead) throws(WireError) {
        // `head.fields` is read in place throughout: a local copy would retain its storage.
        if head.fields.known.hostRepeated { throw .bad("more than one Host field") }
        let hostField = head.fields.field(head.fields.known.host)
        if hostField == nil && head.minorVersion == 1 { throw .bad("HTTP/1.1 request without a Host field") }
        let (host, routed, originForm) = try head.fields.bytes.withUnsafeReadableBytes { (raw) throws(WireError) in
            var fieldHost = ""
            if let hostField {
                let value = UnsafeRawBufferPointer(rebasing: raw[Int(hostField.valueStart)..<hostField.lineEnd])
                guard Self.isHostAndPort(value) else {
                    throw .bad("Host field is not a host name or address with an optional port")
                }
                fieldHost = String(decoding: value, as: UTF8.self)
            }
            let target = UnsafeRawBufferPointer(rebasing: raw[head.target])
            // A fragment is never sent (RFC 9112 §3.2): a backend might take "#" as part of the
            // path, and resolve dot segments after it that routing did not see.
            if target.contains(UInt8(ascii: "#")) { throw .bad("request target contains '#'") }
            let first = target.first ?? 0
            if first == UInt8(ascii: "/") { return (fieldHost, try Self.routed(target), OriginForm?.none) }
            if target.count == 1 && first == UInt8(ascii: "*") {
                guard head.methodIs("OPTIONS") else { throw .bad("request target * is for OPTIONS only") }
                return (fieldHost, "*", nil)
            }
            guard let (authority, rest) = Self.absoluteForm(target) else {
                throw .bad("malformed request target: expected /path, http://host/path or *")
            }
            let authorityBytes = UnsafeRawBufferPointer(rebasing: target[authority])
            guard !authorityBytes.isEmpty, Self.isHostAndPort(authorityBytes) else {
                throw .bad("request target's host is not a host name or address with an optional port")
            }
            let restBytes = UnsafeRawBufferPointer(rebasing: target[rest])
            let addSlash = restBytes.first != UInt8(ascii: "/")
            let path = addSlash ? "/" + String(decoding: restBytes, as: UTF8.self) : try Self.routed(restBytes)
            let offset = head.target.lowerBound
            return (
                String(decoding: authorityBytes, as: UTF8.self), path,
                OriginForm(rest: (rest.lowerBound + offset)..<(rest.upperBound + offset), addSlash: addSlash)
            )
        }
        self.host = host
        self.routed = routed
        self.originForm = originForm
    }

    /// `http://` or `https://` (any case), the authority, then the rest: ranges within `target`.
    private static func absoluteForm(_ target: UnsafeRawBufferPointer) -> (authority: Range<Int>, rest: Range<Int>)? {
        var start: Int
        if target.count >= 7 && equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: target[0..<7]), "http://") {
            start = 7
        } else if target.count >= 8 && equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: target[0..<8]), "https://") {
            start = 8
        } else {
            return nil
        }
        var end = start
        while end < target.count, target[end] != UInt8(ascii: "/"), target[end] != UInt8(ascii: "?") { end += 1 }
        return (start..<end, end..<target.count)
    }

    /// The target as routed: its path's percent-encoding normalized (`PercentEncoding`: `%2e` is
    /// `.`, `%7E` is `~`) and its dot segments resolved (RFC 3986 §5.2.4), the query as it came.
    /// Most paths have neither escapes nor dot segments and are returned as they came.
    private static func routed(_ target: UnsafeRawBufferPointer) throws(WireError) -> String {
        var pathEnd = target.count
        var hasDotSegment = false
        var hasEscape = false
        var i = 0
        while i < target.count {
            let byte = target[i]
            if byte == UInt8(ascii: "?") {
                pathEnd = i
                break
            }
            if byte == UInt8(ascii: "%") { hasEscape = true }
            if byte == UInt8(ascii: "."), i > 0, target[i - 1] == UInt8(ascii: "/") {
                // "/." is a dot segment when "." or ".." makes up the whole segment.
                let next = i + 1 < target.count ? target[i + 1] : UInt8(ascii: "/")
                let afterNext = i + 2 < target.count ? target[i + 2] : UInt8(ascii: "/")
                if Self.endsSegment(next) || (next == UInt8(ascii: ".") && Self.endsSegment(afterNext)) {
                    hasDotSegment = true
                }
            }
            i += 1
        }
        guard hasDotSegment || hasEscape else { return String(decoding: target, as: UTF8.self) }
        let rawPath = UnsafeRawBufferPointer(rebasing: target[0..<pathEnd])
        let path: String
        if hasEscape {
            guard let normalized = PercentEncoding.normalized(rawPath) else {
                throw .bad("request path has a '%' not followed by two hex digits")
            }
            path = normalized
        } else {
            path = String(decoding: rawPath, as: UTF8.self)
        }
        let query = String(decoding: UnsafeRawBufferPointer(rebasing: target[pathEnd...]), as: UTF8.self)
        return try Self.resolvingDotSegments(path) + query
    }

    /// `path` with its "." and ".." segments resolved; one that climbs above the root is refused.
    private static func resolvingDotSegments(_ path: String) throws(WireError) -> String {
        var segments: [Substring] = []
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        for (index, part) in parts.enumerated() {
            let segment = Substring(part)
            let last = index == parts.count - 1
            switch segment {
            case ".":
                if last { segments.append("") }
            case "..":
                guard !segments.isEmpty else { throw .bad("request target climbs above the root with '..'") }
                segments.removeLast()
                if last { segments.append("") }
            default:
                segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }

    @inline(__always)
    private static func endsSegment(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?")
    }

    /// `host [":" port]` (RFC 9110 §7.2): a registered name or IPv4 address of unreserved,
    /// sub-delim and percent characters, or an IP literal in brackets; the port digits only.
    static func isHostAndPort(_ value: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        if value.first == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            for byte in value[1..<close]
            where !(isHexDigit(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")) {
                return false
            }
            i = close + 1
        } else {
            while i < value.count, value[i] != UInt8(ascii: ":") {
                guard isNameByte(value[i]) else { return false }
                i += 1
            }
        }
        guard i < value.count else { return true }
        guard value[i] == UInt8(ascii: ":") else { return false }
        for byte in value[(i + 1)...] where !HeadParser.isDigit(byte) { return false }
        return true
    }

    /// unreserved / sub-delims / "%" (RFC 3986 reg-name), as one bit per ASCII byte.
    @inline(__always)
    private static func isNameByte(_ b: UInt8) -> Bool {
        // ! $ % & ' ( ) * + , - . 0-9 ; =
        let below64: UInt64 = 0x2BFF_7FF2_0000_0000
        // A-Z _ a-z ~
        let from64: UInt64 = 0x47FF_FFFE_87FF_FFFE
        if b < 64 { return (below64 >> UInt64(b)) & 1 == 1 }
        return b < 128 && (from64 >> UInt64(b - 64)) & 1 == 1
    }

    @inline(__always)
    private static func isHexDigit(_ b: UInt8) -> Bool {
        HeadParser.isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102)
    }
}
