/// Percent-encoding normalization of a URI path (RFC 3986 §6.2.2.1 and §6.2.2.2): an escaped
/// unreserved character (`%7E`, `%2e`, `%41`) is the character itself, and the hex digits of the
/// escapes that remain are upper case. Request paths and route prefixes are compared in this
/// form, so `/%7Euser/%2e%2e/api` is routed as `/~user/../api` would be (and then by its dot
/// segments, as a backend that decodes them resolves it).
public enum PercentEncoding {
    /// The normalized path; nil when a `%` is not followed by two hex digits.
    public static func normalized(_ path: UnsafeRawBufferPointer) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        var i = 0
        while i < path.count {
            let byte = path[i]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 2 < path.count, let high = hexValue(path[i + 1]), let low = hexValue(path[i + 2]) else {
                return nil
            }
            let decoded = high << 4 | low
            if isUnreserved(decoded) {
                out.append(decoded)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(high))
                out.append(hexDigit(low))
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `normalized` of a string (a route prefix); the string as it came when it is not well formed.
    public static func normalized(_ path: String) -> String {
        guard path.utf8.contains(UInt8(ascii: "%")) else { return path }
        var copy = path
        return copy.withUTF8 { normalized(UnsafeRawBufferPointer($0)) } ?? path
    }

    /// ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3).
    @inline(__always)
    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }

    @inline(__always)
    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    @inline(__always)
    private static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? 0x30 + v : 0x41 + v - 10
    }
}
