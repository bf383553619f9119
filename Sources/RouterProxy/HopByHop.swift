import NIOHTTP1

/// Header rules of a proxy (RFC 9110 §7.6.1).
enum HopByHop {
    static let names: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "upgrade",
    ]

    static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2, 7, 10, 16, 18, 19: return names.contains(name.lowercased())
        default: return false
        }
    }

    /// Removes hop-by-hop headers and those the `Connection` header lists. Framing headers
    /// (`content-length`, `transfer-encoding`) stay: the encoder frames the body by them.
    static func strip(_ headers: inout HTTPHeaders) {
        // The common case has none of them: one pass, no allocation.
        guard headers.contains(where: { isHopByHop($0.name) }) else { return }
        let listed = headers["connection"].flatMap { $0.split(separator: ",") }
            .map { (token: Substring) -> String in
                token.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
                    .reversed().map(String.init).joined().lowercased()
            }
        for name in names { headers.remove(name: name) }
        for name in listed where name != "transfer-encoding" && name != "content-length" {
            headers.remove(name: name)
        }
    }
}
