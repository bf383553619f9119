import Glibc
import NIOCore

/// Writes: queued by `write0`, sent by `flush0` at once while the socket takes them, the rest
/// when the kernel reports it writable again.
extension EpollSocketChannel {
    func write0(_ data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard isOpen else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let buffer = unwrapData(data, as: ByteBuffer.self)
        pendingBytes += buffer.readableBytes
        writes.append(Write(buffer: buffer, promise: promise))
        if isWritable, pendingBytes > Self.highWater {
            isWritableChanged(to: false)
        }
    }

    func flush0() {
        guard isOpen else { return }
        flushed = writes.count
        if !awaitingWritable, isActive, flushed > 0 { writeFlushed() }
    }

    /// The most buffers one `writev` takes.
    static let maxVectors = 64

    /// Writes the flushed buffers until they are out or the socket is full.
    func writeFlushed() {
        while flushed > 0, isOpen {
            var wanted = 0
            let written: Int
            if flushed == 1 {
                written = writes[writes.startIndex].buffer.withUnsafeReadableBytes { bytes in
                    wanted = bytes.count
                    return bytes.count == 0 ? 0 : Glibc.write(fd, bytes.baseAddress, bytes.count)
                }
            } else {
                written = writeVector(wanted: &wanted)
            }
            if written < 0 {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK {
                    awaitingWritable = true
                    return
                }
                let failure = IOError(errnoCode: error, reason: "write")
                pipeline.syncOperations.fireErrorCaught(failure)
                if isOpen { close0(error: failure, mode: .all, promise: nil) }
                return
            }
            consume(written)
            // A short write: the socket is full, and says so (edge-triggered) when it has room.
            if written < wanted {
                awaitingWritable = true
                return
            }
        }
    }

    /// One `writev` of up to `maxVectors` flushed buffers. The buffers stay in `writes`, which
    /// keeps their storage alive while the kernel reads it.
    private func writeVector(wanted: inout Int) -> Int {
        let count = min(flushed, Self.maxVectors)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            var index = writes.startIndex
            for i in 0..<count {
                writes[index].buffer.withUnsafeReadableBytes { bytes in
                    vectors[i] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                        iov_len: bytes.count
                    )
                    wanted += bytes.count
                }
                index = writes.index(after: index)
            }
            return Glibc.writev(fd, vectors.baseAddress, Int32(count))
        }
    }

    /// Takes `count` written bytes off the front of the queue, completing the writes that are out.
    private func consume(_ count: Int) {
        var left = count
        pendingBytes -= count
        var done: [EventLoopPromise<Void>] = []
        while flushed > 0 {
            let size = writes[writes.startIndex].buffer.readableBytes
            if size > left {
                writes[writes.startIndex].buffer.moveReaderIndex(forwardBy: left)
                break
            }
            left -= size
            let write = writes.removeFirst()
            flushed -= 1
            if let promise = write.promise { done.append(promise) }
        }
        if !isWritable, pendingBytes < Self.lowWater {
            isWritableChanged(to: true)
        }
        for promise in done { promise.succeed() }
    }

    private func isWritableChanged(to writable: Bool) {
        isWritable = writable
        pipeline.syncOperations.fireChannelWritabilityChanged()
    }
}
