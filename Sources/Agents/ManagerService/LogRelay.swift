import AsyncHTTPClient
public import Dashboard
import Foundation
public import Manager
public import ManagerAPI
import NIOCore
import NIOHTTP1
public import ZKModel
public import ZooKeeper

/// An app's container output, asked of the supervisors that run its instances (each serves
/// its own containers' logs, `ContainerLogServer`) and merged here: lines tagged with their
/// instance and zone, in time order. Following, it looks at the environment's instances again
/// every `rescan`: a new one (a rolling update) joins with all its output, one that is gone
/// leaves, each said in a notice line.
public struct LogRelay: Sendable {
    public struct Request: Sendable {
        public var app: String
        public var environment: String
        public var instance: String?
        /// Unix seconds.
        public var since: Int?
        public var tail: Int?
        public var follow: Bool

        public init(app: String, environment: String, instance: String?, since: Int?, tail: Int?, follow: Bool) {
            self.app = app
            self.environment = environment
            self.instance = instance
            self.since = since
            self.tail = tail
            self.follow = follow
        }
    }

    struct Source: Sendable, Hashable {
        var instance: String
        var zone: String
        var supervisor: String
        /// `host:port` of the supervisor's log server; nil: it serves none.
        var logs: String?
    }

    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let watcher: RolloutWatcher
    /// Connections to the supervisors' log servers: followed streams hold theirs for as long as
    /// they last, so the pool is large and its own (the process's other requests never wait on it).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3), read: nil)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(30),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 1024
        )
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
    var rescan: Duration = .seconds(1)
    /// A read of one instance's past output ends after this.
    var readTimeout: TimeAmount = .seconds(10)

    /// The watched model to find instances and supervisors in (no ZooKeeper read per look),
    /// when there is one and it is synced; else they are read from ZooKeeper.
    let model: (@Sendable () -> ClusterModel?)?

    public init(
        zk: ZooKeeperClient,
        tree: ZNodeTree,
        watcher: RolloutWatcher,
        model: (@Sendable () -> ClusterModel?)? = nil
    ) {
        self.zk = zk
        self.tree = tree
        self.watcher = watcher
        self.model = model
    }

    /// The instances to read, by id.
    func sources(_ request: Request) async throws -> [String: Source] {
        if let model = model?() { return Self.sources(request, in: model) }
        var out: [String: Source] = [:]
        var registrations: [String: SupervisorRegistration?] = [:]
        for report in try await watcher.reports(app: request.app, environment: request.environment) {
            if let instance = request.instance, report.id != instance { continue }
            guard let host = report.status.supervisor else { continue }
            if registrations[host] == nil {
                let path = tree.supervisor(host)
                registrations[host] = (try? await zk.getData(path)).flatMap {
                    try? Payload.decode(SupervisorRegistration.self, from: $0.data, path: path)
                }
            }
            let registration = registrations[host] ?? nil
            out[report.id] = Source(
                instance: report.id,
                zone: report.status.zone ?? registration?.zone ?? "-",
                supervisor: host,
                logs: registration?.logs
            )
        }
        return out
    }

    static func sources(_ request: Request, in model: ClusterModel) -> [String: Source] {
        var out: [String: Source] = [:]
        for (id, status) in model.instances
        where status.app == request.app && status.environment == request.environment
            && (request.instance == nil || request.instance == id)
        {
            guard let host = status.supervisor else { continue }
            let registration = model.supervisors[host]?.registration
            out[id] = Source(
                instance: id,
                zone: status.zone ?? registration?.zone ?? "-",
                supervisor: host,
                logs: registration?.logs
            )
        }
        return out
    }

    /// Emits batches of entries until the output asked for is sent (or, following, until
    /// cancelled or `emit` throws). 404 when an instance asked for by name does not run.
    public func run(_ request: Request, emit: @escaping @Sendable ([LogEntry]) async throws -> Void) async throws {
        let first = try await sources(request)
        if let instance = request.instance, first[instance] == nil {
            throw Problem(
                .notFound,
                "instance \(instance) does not run \(request.app) in \(request.environment); see `atlantis instances`"
            )
        }
        // The past, merged: the last `tail` lines of all instances together.
        var past = try await withThrowingTaskGroup(of: [LogEntry].self) { group in
            for source in first.values {
                group.addTask { await self.read(source, since: request.since, tail: request.tail) }
            }
            var all: [LogEntry] = []
            for try await entries in group { all += entries }
            return all
        }
        past.sort { ($0.time, $0.instance ?? "") < ($1.time, $1.instance ?? "") }
        if let tail = request.tail, past.count > tail { past.removeFirst(past.count - tail) }
        try await emit(past)
        guard request.follow else { return }
        var newest: [String: String] = [:]
        for entry in past { if let id = entry.instance { newest[id] = max(newest[id] ?? "", entry.time) } }
        try await follow(request, known: first, after: newest, emit: emit)
    }

    private func follow(
        _ request: Request,
        known first: [String: Source],
        after newest: [String: String],
        emit: @escaping @Sendable ([LogEntry]) async throws -> Void
    ) async throws {
        let (entries, sink) = AsyncStream<LogEntry>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let started = Date().timeIntervalSince1970
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var followers: [String: Task<Void, Never>] = [:]
                defer { for task in followers.values { task.cancel() } }
                var known = first
                func start(_ source: Source, since: Double?, after: String?) {
                    followers[source.instance] = Task {
                        await self.stream(source, since: since, after: after, into: sink)
                    }
                }
                for source in first.values {
                    // What the past read did not send: from its newest line on, or from now.
                    let after = newest[source.instance]
                    start(source, since: after.flatMap(Self.date)?.timeIntervalSince1970 ?? started, after: after)
                }
                while !Task.isCancelled {
                    try await Task.sleep(for: rescan)
                    let now = try await sources(request)
                    for (id, source) in now where known[id] == nil {
                        sink.yield(Self.notice("instance \(id) joined (\(source.zone), \(source.supervisor))", source))
                        start(source, since: nil, after: nil)
                    }
                    for (id, source) in known where now[id] == nil {
                        followers.removeValue(forKey: id)?.cancel()
                        sink.yield(Self.notice("instance \(id) left", source))
                    }
                    known = now
                }
            }
            group.addTask {
                for await entry in entries { try await emit([entry]) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func notice(_ line: String, _ source: Source) -> LogEntry {
        var entry = LogEntry(
            time: Self.stamp(Date()),
            instance: source.instance,
            zone: source.zone,
            stream: "atlantis",
            line: line
        )
        entry.notice = true
        return entry
    }

    /// As the Engine stamps lines (normalized to nine digits): `2026-12-03T14:30:00.123000000Z`.
    static func stamp(_ date: Date) -> String {
        let seconds = Timestamp.string(date).dropLast()
        let nanos = Int((date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) * 1e9)
        return seconds + "." + String(format: "%09d", nanos) + "Z"
    }

    private func url(_ source: Source, since: Double?, tail: Int?, follow: Bool) -> String? {
        guard let logs = source.logs else { return nil }
        var query: [String] = []
        if let since { query.append("since=" + String(format: "%.6f", since)) }
        if let tail { query.append("tail=\(tail)") }
        if follow { query.append("follow=true") }
        return "http://\(logs)/v1/instances/\(source.instance)/logs"
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// One instance's past output; a supervisor that cannot be asked becomes a notice line.
    func read(_ source: Source, since: Int?, tail: Int?) async -> [LogEntry] {
        let since = since.map(Double.init)
        guard let url = url(source, since: since, tail: tail, follow: false) else {
            return [
                Self.notice("supervisor \(source.supervisor) serves no logs (atlantis supervisor --logs-port)", source)
            ]
        }
        do {
            let response = try await Self.http.execute(HTTPClientRequest(url: url), timeout: readTimeout)
            guard response.status == .ok else {
                if response.status == .notFound { return [] }
                return [Self.notice("supervisor \(source.supervisor) answered \(response.status.code)", source)]
            }
            var splitter = LineSplitter()
            var out: [LogEntry] = []
            for try await chunk in response.body {
                for line in splitter.feed(chunk) { if let entry = decode(line, source) { out.append(entry) } }
            }
            return out
        } catch {
            return [Self.notice("supervisor \(source.supervisor) did not answer: \(error)", source)]
        }
    }

    /// Follows one instance until the task is cancelled (its leaving the environment): a
    /// container not there yet (just placed) is asked again each second, and a stream that
    /// ends (the container restarted, the supervisor restarted) is picked up after the last
    /// line it sent.
    func stream(
        _ source: Source,
        since: Double?,
        after: String?,
        into sink: AsyncStream<LogEntry>.Continuation
    ) async {
        var since = since
        var newest = after
        var told = false
        while !Task.isCancelled {
            if let url = url(source, since: since, tail: nil, follow: true) {
                do {
                    let response = try await Self.http.execute(
                        HTTPClientRequest(url: url),
                        deadline: .distantFuture
                    )
                    if response.status == .ok {
                        var splitter = LineSplitter()
                        for try await chunk in response.body {
                            for line in splitter.feed(chunk) {
                                guard let entry = decode(line, source) else { continue }
                                if let newest, entry.time <= newest { continue }
                                newest = entry.time
                                sink.yield(entry)
                            }
                        }
                    } else {
                        _ = try? await response.body.collect(upTo: 1 << 16)
                    }
                } catch {
                    if Task.isCancelled { return }
                    if !told {
                        sink.yield(
                            Self.notice("cannot follow \(source.instance) on \(source.supervisor): \(error)", source)
                        )
                        told = true
                    }
                }
            }
            if let newest, let date = Self.date(newest) { since = date.timeIntervalSince1970 }
            try? await Task.sleep(for: rescan)
        }
    }

    static func date(_ stamp: String) -> Date? {
        ISO8601DateFormatter().date(from: String(stamp.prefix(19)) + "Z")
    }

    private func decode(_ line: [UInt8], _ source: Source) -> LogEntry? {
        guard var entry = try? JSONDecoder().decode(LogEntry.self, from: Data(line)) else { return nil }
        entry.instance = source.instance
        entry.zone = source.zone
        return entry
    }
}

/// Cuts a byte stream into newline-ended lines.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed(_ chunk: ByteBuffer) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for byte in chunk.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                out.append(pending)
                pending.removeAll(keepingCapacity: true)
            } else if pending.count < 1 << 20 {
                pending.append(byte)
            }
        }
        return out
    }
}
