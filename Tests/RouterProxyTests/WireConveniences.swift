import NIOCore

@testable import RouterProxy

// One-off forms of the proxy's reusing parser and writer, for tests: the proxy itself parses into
// and writes out of storage each connection keeps.

extension HeadParser {
    static func request(_ buffer: ByteBuffer, maxBytes: Int) throws(WireError) -> (head: RequestHead, length: Int)? {
        var fields: [HeaderField] = []
        return try request(buffer, maxBytes: maxBytes, fields: &fields)
    }

    static func response(_ buffer: ByteBuffer, maxBytes: Int) throws(WireError) -> (head: ResponseHead, length: Int)? {
        var fields: [HeaderField] = []
        return try response(buffer, maxBytes: maxBytes, fields: &fields)
    }
}

extension HeadWriter {
    static func request(
        _ head: RequestHead,
        connection: ConnectionOptions,
        clientAddress: String,
        host: String,
        dropExpect: Bool,
        upgrade: HeaderField?,
        length: Int? = nil,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var out = allocator.buffer(capacity: 0)
        request(
            head,
            connection: connection,
            clientAddress: clientAddress,
            host: host,
            dropExpect: dropExpect,
            upgrade: upgrade,
            length: length,
            into: &out
        )
        return out
    }
}

extension RequestHead {
    func string(_ range: Range<Int>) -> String {
        fields.bytes.withUnsafeReadableBytes {
            String(decoding: UnsafeRawBufferPointer(rebasing: $0[range]), as: UTF8.self)
        }
    }
}
