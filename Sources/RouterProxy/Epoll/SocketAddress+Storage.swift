import Glibc
import NIOCore

extension SocketAddress {
    /// The address in a `sockaddr_storage` the kernel filled (IPv4 or IPv6).
    init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self.init(address, host: "")
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            self.init(address, host: "")
        default:
            return nil
        }
    }

    /// The local address of a socket.
    static func local(of fd: Int32) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw IOError(errnoCode: errno, reason: "getsockname") }
        guard let address = SocketAddress(storage: storage) else { throw ChannelError.operationUnsupported }
        return address
    }
}
