/// The field names the proxy acts on, recognised from a name's bytes in any case. The parser
/// notes where they are (`KnownFields`) and the writers use the same classification to drop
/// fields, so the lists live in one place.
enum FieldName: Sendable {
    case host, connection, contentLength, transferEncoding, upgrade, expect
    case xForwardedFor, xForwardedHost, xForwardedProto
    case te, trailer, keepAlive, proxyConnection, proxyAuthenticate, proxyAuthorization

    /// Hop-by-hop (RFC 9110 §7.6.1): dropped in both directions. Framing fields are not: bodies
    /// are forwarded with their framing.
    var isHopByHop: Bool {
        switch self {
        case .connection, .upgrade, .te, .trailer, .keepAlive, .proxyConnection, .proxyAuthenticate,
            .proxyAuthorization:
            return true
        default:
            return false
        }
    }

    /// Kept however `Connection` names it: without Host the backend cannot tell the site, and
    /// without the framing fields it would read the body differently.
    var isKeptWhenListedInConnection: Bool {
        switch self {
        case .host, .contentLength, .transferEncoding: return true
        default: return false
        }
    }

    @inline(__always)
    init?(_ name: UnsafeRawBufferPointer) {
        @inline(__always) func eq(_ literal: StaticString) -> Bool { equalsIgnoringCase(name, literal) }
        switch name.count {
        case 2 where eq("te"): self = .te
        case 4 where eq("host"): self = .host
        case 6 where eq("expect"): self = .expect
        case 7 where eq("upgrade"): self = .upgrade
        case 7 where eq("trailer"): self = .trailer
        case 10 where eq("connection"): self = .connection
        case 10 where eq("keep-alive"): self = .keepAlive
        case 14 where eq("content-length"): self = .contentLength
        case 15 where eq("x-forwarded-for"): self = .xForwardedFor
        case 16 where eq("x-forwarded-host"): self = .xForwardedHost
        case 16 where eq("proxy-connection"): self = .proxyConnection
        case 17 where eq("transfer-encoding"): self = .transferEncoding
        case 17 where eq("x-forwarded-proto"): self = .xForwardedProto
        case 18 where eq("proxy-authenticate"): self = .proxyAuthenticate
        case 19 where eq("proxy-authorization"): self = .proxyAuthorization
        default: return nil
        }
    }
}

/// Whether `bytes` equal a lower-case ASCII literal, ignoring case.
@inline(__always)
func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercaseLiteral: StaticString) -> Bool {
    guard bytes.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
    let expected = lowercaseLiteral.utf8Start
    for i in 0..<bytes.count where lowercased(bytes[i]) != expected[i] { return false }
    return true
}

@inline(__always) func lowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
