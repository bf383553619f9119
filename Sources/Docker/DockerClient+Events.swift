import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension DockerClient {
    /// Follows the Engine's container events matching `labels` until cancelled or until the
    /// connection ends (the sequence then finishes or throws; the caller reconnects).
    /// Events from `since` (unix seconds) on are replayed first.
    public func containerEvents(labels: [String], since: Int? = nil) -> AsyncThrowingStream<DockerEvent, any Error> {
        var parameters = [("filters", Self.filters(["type": ["container"], "label": labels]))]
        if let since { parameters.append(("since", "\(since)")) }
        let client = self
        let query = parameters
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let request = try client.request(.GET, "/events", query: query)
                    let response = try await client.http.execute(request, deadline: .distantFuture)
                    guard response.status.code == 200 else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw Self.error(status: Int(response.status.code), body: body, operation: "follow events")
                    }
                    var pending = ByteBuffer()
                    for try await var chunk in response.body {
                        pending.writeBuffer(&chunk)
                        while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                            let length = newline - pending.readerIndex
                            let line = pending.readSlice(length: length + 1)!
                            if let event = try? JSONDecoder().decode(
                                DockerEvent.self,
                                from: Data(line.readableBytesView)
                            ) {
                                continuation.yield(event)
                            }
                        }
                        pending.discardReadBytes()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
