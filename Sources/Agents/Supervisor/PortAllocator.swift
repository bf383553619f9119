import Synchronization

/// Hands out host ports from the supervisor's range: never one that a container of this host
/// publishes, nor one reserved for another instance, nor one that recently clashed with
/// something outside Atlantis.
final class PortAllocator: Sendable {
    let range: ClosedRange<Int>
    private struct State {
        var reserved: [String: Int] = [:]
        var clashed: [Int: ContinuousClock.Instant] = [:]

        mutating func isClashing(_ port: Int) -> Bool {
            guard let until = clashed[port] else { return false }
            if until > .now { return true }
            clashed[port] = nil
            return false
        }
    }
    private let state = Mutex(State())

    init(range: ClosedRange<Int>) {
        self.range = range
    }

    /// The port of `instance`: the one it has, or a free one. nil when the range is full.
    func port(for instance: String, publishedByContainers used: Set<Int>) -> Int? {
        state.withLock { s in
            if let port = s.reserved[instance], !s.isClashing(port) { return port }
            let taken = used.union(s.reserved.values)
            guard let port = range.first(where: { !taken.contains($0) && !s.isClashing($0) }) else { return nil }
            s.reserved[instance] = port
            return port
        }
    }

    /// Records the port a running container of `instance` publishes (after adoption).
    func adopt(_ port: Int, for instance: String) {
        state.withLock { $0.reserved[instance] = port }
    }

    /// The port was taken by something else: skip it for a minute.
    func clash(_ port: Int, for instance: String) {
        state.withLock { s in
            s.clashed[port] = .now + .seconds(60)
            if s.reserved[instance] == port { s.reserved[instance] = nil }
        }
    }

    func release(_ instance: String) {
        _ = state.withLock { $0.reserved.removeValue(forKey: instance) }
    }
}
