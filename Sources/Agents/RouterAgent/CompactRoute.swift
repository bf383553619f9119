import ZKModel
import ZooKeeper

/// What a router's cache keeps of each version of a Route: the Route validated and decoded as it
/// is read, packed (its name and spec: nothing else of the document), or why it does not decode.
/// The document's JSON, kept for the cache's life only to be parsed once at the next build, was
/// 2 MB at 10,000 Routes; of its stat the versions alone are kept (`Stat.versionsOnly`).
///
/// Byte 0 is 0 for a Route, then its fields in order (strings as a 4-byte length and their UTF-8,
/// 0xFFFFFFFF for nil; the priority as a presence byte and 8 bytes; the headers as a count,
/// 0xFFFFFFFF for nil, then each name and value); 1 for a version that does not decode, then why.
enum CompactRoute {
    /// A version that did not decode when it was read.
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    struct NotCompact: Error, CustomStringConvertible {
        var description: String { "the cached Route is cut short or not in the router's compact form" }
    }

    /// What the cache stores of `node`.
    static func keep(_ node: NodeSnapshot) -> NodeSnapshot {
        let bytes: [UInt8]
        do {
            bytes = encode(try RouterAgent.route(node.data))
        } catch {
            bytes = [1] + Array("\(error)".utf8)
        }
        return NodeSnapshot(data: bytes, stat: node.stat.versionsOnly)
    }

    /// The Route a kept version holds; throws why it did not decode when read.
    static func parse(_ bytes: [UInt8]) throws -> ParsedRoute {
        guard let marker = bytes.first else { throw NotCompact() }
        if marker == 1 { throw Unreadable(description: String(decoding: bytes.dropFirst(), as: UTF8.self)) }
        guard marker == 0 else { throw NotCompact() }
        var reader = Reader(bytes: bytes, at: 1)
        let name = try reader.string()
        let host = try reader.string()
        let pathPrefix = try reader.optionalString()
        var headers: [RouteSpec.Header]?
        if let count = try reader.count() {
            headers = try (0..<count).map { _ in RouteSpec.Header(name: try reader.string(), value: try reader.string())
            }
        }
        let priority = try reader.optionalInteger()
        let pool = RouteSpec.Pool(
            app: try reader.optionalString(),
            environment: try reader.optionalString(),
            service: try reader.optionalString()
        )
        let balancing = try reader.optionalString()
        guard reader.at == bytes.count else { throw NotCompact() }
        return ParsedRoute(
            name: name,
            spec: RouteSpec(
                host: host,
                pathPrefix: pathPrefix,
                headers: headers,
                priority: priority,
                pool: pool,
                balancing: balancing
            )
        )
    }

    /// The compact form of `route`.
    static func encode(_ route: ParsedRoute) -> [UInt8] {
        let spec = route.spec
        var strings: [String?] = [route.name, spec.host, spec.pathPrefix, spec.balancing]
        strings += [spec.pool.app, spec.pool.environment, spec.pool.service]
        for header in spec.headers ?? [] { strings += [header.name, header.value] }
        var size = 1 + 4 + 9  // the marker, the headers' count, the priority
        for string in strings { size += 4 + (string?.utf8.count ?? 0) }
        // Allocated at its size: the cache keeps these bytes for every Route.
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out.append(0)
        func put(_ value: UInt64, bytes: Int) {
            for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        func put(_ string: String?) {
            guard let string else { return put(UInt64(UInt32.max), bytes: 4) }
            put(UInt64(string.utf8.count), bytes: 4)
            out.append(contentsOf: string.utf8)
        }
        put(route.name)
        put(spec.host)
        put(spec.pathPrefix)
        if let headers = spec.headers {
            put(UInt64(headers.count), bytes: 4)
            for header in headers {
                put(header.name)
                put(header.value)
            }
        } else {
            put(UInt64(UInt32.max), bytes: 4)
        }
        if let priority = spec.priority {
            out.append(1)
            put(UInt64(bitPattern: Int64(priority)), bytes: 8)
        } else {
            out.append(0)
        }
        put(spec.pool.app)
        put(spec.pool.environment)
        put(spec.pool.service)
        put(spec.balancing)
        return out
    }

    /// Reads the fields of a compact form in order, each checked to lie within the bytes.
    private struct Reader {
        let bytes: [UInt8]
        var at: Int

        mutating func integer(_ count: Int) throws(NotCompact) -> UInt64 {
            guard at + count <= bytes.count else { throw NotCompact() }
            var value: UInt64 = 0
            for i in 0..<count { value |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += count
            return value
        }

        /// A length or count; nil for the nil marker.
        mutating func count() throws(NotCompact) -> Int? {
            let value = try integer(4)
            return value == UInt64(UInt32.max) ? nil : Int(value)
        }

        mutating func optionalString() throws(NotCompact) -> String? {
            guard let length = try count() else { return nil }
            guard at + length <= bytes.count else { throw NotCompact() }
            defer { at += length }
            return String(decoding: bytes[at..<at + length], as: UTF8.self)
        }

        mutating func string() throws(NotCompact) -> String {
            guard let value = try optionalString() else { throw NotCompact() }
            return value
        }

        mutating func optionalInteger() throws(NotCompact) -> Int? {
            guard try integer(1) == 1 else { return nil }
            return Int(Int64(bitPattern: try integer(8)))
        }
    }
}
