import NIOCore

extension ProxyHandler {
    /// What one request–response exchange knows of itself. `start` makes a fresh one for every
    /// request (one assignment), so nothing of the previous exchange can leak into the next. The
    /// request head itself is not kept: it is a slice of the read buffer, which NIO reuses for the
    /// next read only when nothing else holds it.
    struct Exchange {
        /// False only before the connection's first request.
        var hasRequest = false
        var requestMinorVersion = 1
        var requestIdempotent = false
        var requestHasBody = false
        var requestIsHEAD = false
        var wantsUpgrade = false
        var clientKeepAlive = true
        var requestEnded = false
        var bodyBytes = 0
        var upstreamReusable = true
        /// The upstream connection was kept alive from an earlier exchange: it may have been closed
        /// by the backend (its idle timeout) just as this request went out.
        var upstreamWasIdle = false
        /// The rewritten head of an idempotent request without a body, while it can be sent again.
        var resendable: ByteBuffer?
        var responseStarted = false
        /// The response has no length: the client connection closes after it.
        var closeAfterResponse = false
        var responseBody: BodyReader?
        /// Backends tried for this request, and the ones not to try again.
        var attempts = 0
        var excluded: Set<Int> = []
        var responseDeadline: NIODeadline?
        /// When the request head was read (one clock read per request).
        var startedAt: NIODeadline
        /// An error decided at the head of a request without a body, sent at its end (keeps the
        /// connection).
        var deferredError: (Int, String)?

        init() {
            startedAt = .now()
        }

        /// The exchange a request head begins.
        init(_ head: RequestHead, framing: BodyReader, connection: ConnectionOptions) {
            hasRequest = true
            requestMinorVersion = head.minorVersion
            requestIdempotent = ProxyHandler.isIdempotent(head)
            clientKeepAlive = head.minorVersion == 1 ? !connection.close : connection.keepAlive
            requestHasBody = !framing.isComplete
            requestIsHEAD = head.methodIs("HEAD")
            startedAt = .now()
        }
    }
}
