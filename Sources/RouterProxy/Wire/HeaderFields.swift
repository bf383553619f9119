import NIOCore

/// One `name: value` line of a head, as offsets into the head's bytes (value trimmed of spaces).
struct HeaderField: Sendable {
    var nameStart: Int32
    var nameLength: Int32
    var valueStart: Int32
    var valueLength: Int32

    var lineStart: Int { Int(nameStart) }
    var lineEnd: Int { Int(valueStart + valueLength) }
}

/// The fields of a parsed head, read in place: no string is made unless asked for.
struct HeaderFields: Sendable {
    /// The whole head, start line through the blank line.
    let bytes: ByteBuffer
    let fields: [HeaderField]

    /// Whether a field's name equals `lowercaseName` (ASCII, compared case-insensitively).
    func name(of field: HeaderField, is lowercaseName: StaticString) -> Bool {
        guard Int(field.nameLength) == lowercaseName.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let expected = UnsafeRawBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
            let start = Int(field.nameStart)
            for i in 0..<expected.count where raw[start + i] | 0x20 != expected[i] { return false }
            return true
        }
    }

    func name(of field: HeaderField, isLowercased candidate: [UInt8]) -> Bool {
        guard Int(field.nameLength) == candidate.count else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let start = Int(field.nameStart)
            for i in 0..<candidate.count where lowercased(raw[start + i]) != candidate[i] { return false }
            return true
        }
    }

    func first(_ lowercaseName: StaticString) -> HeaderField? {
        fields.first { name(of: $0, is: lowercaseName) }
    }

    func contains(_ lowercaseName: StaticString) -> Bool { first(lowercaseName) != nil }

    func value(_ field: HeaderField) -> String {
        bytes.withUnsafeReadableBytes { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<field.lineEnd]), as: UTF8.self)
        }
    }

    func name(_ field: HeaderField) -> String {
        bytes.withUnsafeReadableBytes { raw in
            String(
                decoding: UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameStart + field.nameLength)]),
                as: UTF8.self)
        }
    }

    func value(_ lowercaseName: StaticString) -> String? { first(lowercaseName).map(value) }

    /// The value of the first field named `name` (any case), for header-matching routes.
    func value(named name: String) -> String? {
        let lower = Array(name.lowercased().utf8)
        return fields.first { self.name(of: $0, isLowercased: lower) }.map(value)
    }

    /// The comma-separated tokens of every field named `lowercaseName`, lower-cased and trimmed.
    func tokens(_ lowercaseName: StaticString) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for field in fields where name(of: field, is: lowercaseName) {
            bytes.withUnsafeReadableBytes { raw in
                for token in raw[Int(field.valueStart)..<field.lineEnd].split(separator: UInt8(ascii: ",")) {
                    let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
                    if !trimmed.isEmpty { tokens.append(trimmed.map(lowercased)) }
                }
            }
        }
        return tokens
    }

    /// Whether the value of a field equals `lowercaseValue`, ignoring case.
    func value(of field: HeaderField, is lowercaseValue: StaticString) -> Bool {
        guard Int(field.valueLength) == lowercaseValue.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            let expected = UnsafeRawBufferPointer(start: lowercaseValue.utf8Start, count: lowercaseValue.utf8CodeUnitCount)
            let start = Int(field.valueStart)
            for i in 0..<expected.count {
                if lowercased(raw[start + i]) != expected[i] { return false }
            }
            return true
        }
    }
}

@inline(__always) func lowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
