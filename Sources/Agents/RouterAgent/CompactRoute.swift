import ZKModel
import ZooKeeper

/// A Route packed as a router's cache keeps it (`KeptRoutes`): its name and spec, nothing else of
/// the document (whose JSON, kept for the cache's life only to be parsed at the next build, was 2
/// MB at 10,000 Routes). Byte 0 is 0, then 12 bytes for the version's `mzxid` and data version
/// (written by the cache's `PackedVersions`), then the fields in order: strings as a 4-byte length and
/// their UTF-8 (0xFFFFFFFF for nil), the priority as a presence byte and 8 bytes, the headers as a
/// count (0xFFFFFFFF for nil) then each name and value.
enum CompactRoute {
    struct NotCompact: Error, CustomStringConvertible {
        var description: String { "the cached Route is cut short or not in the router's compact form" }
    }

    /// The Route of a compact form.
    static func parse(_ bytes: [UInt8]) throws(NotCompact) -> ParsedRoute {
        guard bytes.first == 0 else { throw NotCompact() }
        guard bytes.count >= PackedVersions.versionsEnd else { throw NotCompact() }
        var reader = Reader(bytes: bytes, at: PackedVersions.versionsEnd)
        let name = try reader.string()
        let host = try reader.string()
        let pathPrefix = try reader.optionalString()
        var headers: [RouteSpec.Header]?
        if let count = try reader.count() {
            var read: [RouteSpec.Header] = []
            for _ in 0..<count { read.append(RouteSpec.Header(name: try reader.string(), value: try reader.string())) }
            headers = read
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
        var size = PackedVersions.versionsEnd + 4 + 9  // the marker and versions, the headers' count, the priority
        for string in strings { size += 4 + (string?.utf8.count ?? 0) }
        // Allocated at its size: the cache keeps these bytes for every Route.
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out.append(0)
        out.append(contentsOf: repeatElement(0, count: PackedVersions.versionsEnd - 1))  // stamped by the cache
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
