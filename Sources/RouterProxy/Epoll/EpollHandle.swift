/// Something a loop's epoll instance watches: a socket, a listener's share of a loop, the
/// loop's wake-up descriptor. The loop finds it by descriptor and checks the token (the
/// descriptor and a registration count) so that an event for a closed descriptor, reused
/// within the same `epoll_wait` batch, never reaches the new owner.
class EpollHandle: @unchecked Sendable {
    let fd: Int32
    var token: UInt64 = 0

    init(fd: Int32) {
        self.fd = fd
    }

    /// The events `epoll_wait` reported for this descriptor.
    func ready(_ events: UInt32) {}
}
