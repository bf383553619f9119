/// A watch that fires once: on the change it was set for, or with `.sessionLost`.
public struct OneShotWatch: Sendable {
    let stream: AsyncStream<WatchEvent>

    /// Waits for the event. Returns `.sessionLost` if the watch ended without one.
    public func wait() async -> WatchEvent {
        for await event in stream { return event }
        return .sessionLost
    }
}
