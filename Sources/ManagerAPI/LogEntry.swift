/// One line of an app's container output, as `GET /v1/apps/{app}/environments/{env}/logs`
/// streams it (one JSON object per line): stamped by Docker, tagged with the instance and zone
/// it came from. A supervisor's log server sends the same without `instance` and `zone`.
public struct LogEntry: Codable, Sendable, Hashable {
    /// RFC 3339 in UTC with nanoseconds, as the Engine stamps lines: entries sort by it.
    public var time: String
    public var instance: String?
    public var zone: String?
    /// `stdout` or `stderr`.
    public var stream: String
    public var line: String
    /// Set on a line the relay itself adds (an instance joined or left, a supervisor cannot be asked).
    public var notice: Bool?

    public init(time: String, instance: String? = nil, zone: String? = nil, stream: String, line: String) {
        self.time = time
        self.instance = instance
        self.zone = zone
        self.stream = stream
        self.line = line
    }
}
