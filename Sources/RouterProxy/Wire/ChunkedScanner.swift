/// Follows chunked framing (RFC 9112 §7.1) over bytes that are forwarded as they are, to know
/// where the message ends. Chunk data is skipped in one step, not scanned.
struct ChunkedScanner: Sendable {
    private enum State: Sendable {
        case size(value: Int, digits: Int)
        case extensions(size: Int)
        case sizeLF(size: Int)
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailerStart
        case trailer
        case trailerLF
        case finalLF
        case done
    }

    private var state = State.size(value: 0, digits: 0)

    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes bytes of the message from the front of `bytes`: how many belong to it (stops at
    /// its end, so bytes of a next message are left).
    mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Int {
        var i = 0
        let count = bytes.count
        while i < count {
            let b = bytes[i]
            switch state {
            case .size(let value, let digits):
                if let digit = Self.hex(b) {
                    guard digits < 15 else { throw .bad("chunk size too large") }
                    state = .size(value: value << 4 | digit, digits: digits + 1)
                } else if digits == 0 {
                    throw .bad("malformed chunk size")
                } else if b == 0x0D {
                    state = .sizeLF(size: value)
                } else if b == 0x3B || b == 0x20 || b == 0x09 {
                    state = .extensions(size: value)
                } else {
                    throw .bad("malformed chunk size")
                }
                i += 1
            case .extensions(let size):
                if b == 0x0D {
                    state = .sizeLF(size: size)
                } else if b == 0x0A || (b < 0x20 && b != 0x09) {
                    throw .bad("malformed chunk extension")
                }
                i += 1
            case .sizeLF(let size):
                guard b == 0x0A else { throw .bad("chunk size line does not end in CRLF") }
                state = size == 0 ? .trailerStart : .data(remaining: size)
                i += 1
            case .data(let remaining):
                let take = min(remaining, count - i)
                i += take
                state = take == remaining ? .dataCR : .data(remaining: remaining - take)
            case .dataCR:
                guard b == 0x0D else { throw .bad("chunk data does not end in CRLF") }
                state = .dataLF
                i += 1
            case .dataLF:
                guard b == 0x0A else { throw .bad("chunk data does not end in CRLF") }
                state = .size(value: 0, digits: 0)
                i += 1
            case .trailerStart:
                state = b == 0x0D ? .finalLF : .trailer
                i += 1
            case .trailer:
                if b == 0x0D {
                    state = .trailerLF
                } else if b == 0x0A {
                    throw .bad("trailer line does not end in CRLF")
                }
                i += 1
            case .trailerLF:
                guard b == 0x0A else { throw .bad("trailer line does not end in CRLF") }
                state = .trailerStart
                i += 1
            case .finalLF:
                guard b == 0x0A else { throw .bad("chunked body does not end in CRLF") }
                state = .done
                return i + 1
            case .done:
                return i
            }
        }
        return i
    }

    @inline(__always)
    private static func hex(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return nil
        }
    }
}
