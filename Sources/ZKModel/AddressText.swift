/// The bytes of `host:port` as text, made one at a time (no string): for digesting and ordering
/// addresses held as a host and a port.
public struct AddressText: Sequence, Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether `self` sorts before `other` as `host:port` text.
    public func precedes(_ other: AddressText) -> Bool { lexicographicallyPrecedes(other) }

    public func makeIterator() -> Iterator { Iterator(self) }

    public struct Iterator: IteratorProtocol {
        private var host: String.UTF8View.Iterator
        private var inHost = true
        private var sign: Bool
        private var magnitude: UInt
        private var divisor: UInt = 1

        init(_ text: AddressText) {
            host = text.host.utf8.makeIterator()
            sign = text.port < 0
            magnitude = text.port.magnitude
            while magnitude / divisor >= 10 { divisor *= 10 }
        }

        public mutating func next() -> UInt8? {
            if inHost {
                if let byte = host.next() { return byte }
                inHost = false
                return UInt8(ascii: ":")
            }
            if sign {
                sign = false
                return UInt8(ascii: "-")
            }
            guard divisor > 0 else { return nil }
            let digit = UInt8(ascii: "0") + UInt8(magnitude / divisor)
            magnitude %= divisor
            divisor /= 10
            return digit
        }
    }
}
