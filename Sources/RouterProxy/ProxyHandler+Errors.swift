import Logging
import NIOCore
import RouterData

/// The proxy's own answers: errors for a request it cannot forward or cannot read.
extension ProxyHandler {
    func dropUpstream() {
        guard let upstream else { return }
        upstream.handler.delegate = nil
        upstream.pool.end(upstream.index)
        upstream.channel.close(promise: nil)
        self.upstream = nil
        backendInbound = nil
        exchange.responseBody = nil
    }

    /// Answers with a short error; closes the connection if the request is not fully read.
    func fail(_ status: Int, _ message: String) {
        guard let context, exchange.hasRequest else { return }
        exchange.responseDeadline = nil
        if !exchange.requestEnded && !exchange.requestHasBody && !exchange.responseStarted {
            exchange.deferredError = (status, message)
            phase = .discarding
            return
        }
        loopCounts?.response(status)
        let close = !exchange.clientKeepAlive || !exchange.requestEnded
        exchange.responseStarted = true
        context.write(
            wrapOutboundOut(HeadWriter.error(status: status, message: message, close: close, allocator: allocator)),
            promise: nil
        )
        clientUnflushed = true
        if close {
            closeAfterWrites(context)
        } else {
            readyForNextRequest(context)
        }
    }
}
