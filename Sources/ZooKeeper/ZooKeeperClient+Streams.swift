import Synchronization

extension ZooKeeperClient {
    /// The state of one node, delivered now and after every change: `nil` while it does not exist.
    ///
    /// Built from one-shot watches re-armed by re-reading, so each element is the latest state
    /// (changes in between coalesce). After a session expiry the node is re-read on the new
    /// session: a change is never silently missed. Ends when the client closes or the task is cancelled.
    public func watchData(_ path: String) -> AsyncThrowingStream<NodeSnapshot?, any Error> {
        watchLoop(path) { client in
            do {
                let (data, stat, watch) = try await client.getDataAndWatch(path)
                return (NodeSnapshot(data: data, stat: stat), watch)
            } catch let error as ZooKeeperError where error.code == .noNode {
                let (stat, watch) = try await client.existsAndWatch(path)
                // Created in between: the exists watch fires on the next change; read again now.
                if stat != nil { return nil }
                return (nil, watch)
            }
        }
    }

    /// The sorted children of one node, delivered now and after every change. A reading equal to
    /// the last one (read again after a reconnect, or a child added and removed before the
    /// re-read) is delivered too: the last list is not kept to compare with (at 50,000 children
    /// that copy was 0.9 MB for the stream's life, beside the reader's own).
    public func watchChildren(_ path: String) -> AsyncThrowingStream<[String], any Error> {
        watchLoop(path, repeats: true) { client in
            let (children, watch) = try await client.childrenAndWatch(path)
            return (children, watch)
        }
    }

    /// Reads, delivers, waits for the watch, again; `repeats`: a reading equal to the last is
    /// delivered too (nothing is kept to compare with).
    private func watchLoop<Element: Sendable & Equatable>(
        _ path: String,
        repeats: Bool = false,
        read: @escaping @Sendable (ZooKeeperClient) async throws -> (Element, OneShotWatch)?
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream(
            bufferingPolicy: .bufferingNewest(1)
        )
        let task = Task {
            var last: Element?
            var delay = Duration.milliseconds(50)
            while !Task.isCancelled {
                do {
                    // The reading is handed over before the wait: the loop keeps no copy of it
                    // meanwhile (a folder's 50,000 children are ~1 MB).
                    func deliver() async throws -> OneShotWatch? {
                        guard let (value, watch) = try await read(self) else { return nil }
                        if repeats {
                            continuation.yield(value)
                        } else if value != last {
                            continuation.yield(value)
                            last = value
                        }
                        return watch
                    }
                    guard let watch = try await deliver() else { continue }
                    delay = .milliseconds(50)
                    if await watch.wait() == .sessionLost {
                        if state.withLock({ $0.closed }) { break }
                        try await waitConnected(timeout: .seconds(3600))
                    }
                } catch let error as ZooKeeperError where error.isTransient && error.code != .closing {
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(2))
                } catch {
                    continuation.finish(throwing: error)
                    return
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
