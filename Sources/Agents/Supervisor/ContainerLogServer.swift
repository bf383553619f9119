public import Docker
import Foundation
import Hummingbird
public import Logging
import ManagerAPI
import NIOCore
public import ServiceLifecycle
import Synchronization

/// Serves the output of this host's instances to the manager, which checks the caller and
/// relays it (`atlantis logs`): `GET /v1/instances/{id}/logs[?since=UNIX&tail=N&follow=true]`,
/// one `LogEntry` JSON object per line. It serves only containers this supervisor runs (found
/// by their labels, never by a name from the request), and it is meant for the manager alone:
/// bind it to the host's private address (docs/logs.md). Its Engine connections are its own
/// (`docker` must not share the reconciler's pool: a reader never starves a reconcile), at
/// most `maxStreams` at once; an idle stream sends an empty line every `heartbeat`, so a reader
/// that went away is noticed and its Engine connection closed.
public struct ContainerLogServer: Service {
    let docker: DockerClient
    let hostID: String
    let host: String
    let port: Int
    let logger: Logger
    let onBound: @Sendable (Int) async -> Void
    let maxStreams: Int
    let heartbeat: Duration
    let streams = StreamCount()

    final class StreamCount: Sendable {
        let value = Atomic<Int>(0)
    }

    public init(
        docker: DockerClient,
        hostID: String,
        host: String,
        port: Int,
        logger: Logger,
        maxStreams: Int = 64,
        heartbeat: Duration = .seconds(15),
        onBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.maxStreams = maxStreams
        self.heartbeat = heartbeat
        self.docker = docker
        self.hostID = hostID
        self.host = host
        self.port = port
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let router = Router()
        let docker = self.docker
        let hostID = self.hostID
        let (streams, maxStreams, heartbeat) = (self.streams, self.maxStreams, self.heartbeat)
        router.get("/v1/instances/:id/logs") { request, context -> Response in
            let id = try context.parameters.require("id")
            guard id.count <= 128, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw HTTPError(.badRequest, message: "\(id.prefix(64)) is not an instance id")
            }
            let query = request.uri.queryParameters
            let since = try query["since"].map { text -> Double in
                guard let value = Double(text), value >= 0, value.isFinite else {
                    throw HTTPError(.badRequest, message: "since is unix seconds, not \(text)")
                }
                return value
            }
            let tail = try query["tail"].map { text -> Int in
                guard let value = Int(text), value >= 0 else {
                    throw HTTPError(.badRequest, message: "tail is a number of lines, not \(text)")
                }
                return value
            }
            let follow = query["follow"].map { $0 == "true" || $0 == "1" } ?? false
            let found = try await docker.containers(labels: [
                "\(ContainerLabels.host)=\(hostID)", "\(ContainerLabels.instance)=\(id)",
            ])
            guard let container = found.first else {
                throw HTTPError(.notFound, message: "no container of instance \(id) on \(hostID)")
            }
            guard streams.value.add(1, ordering: .relaxed).newValue <= maxStreams else {
                streams.value.subtract(1, ordering: .relaxed)
                throw HTTPError(
                    .serviceUnavailable,
                    message: "\(maxStreams) log streams are open on \(hostID); try again"
                )
            }
            let lines = docker.logs(container: container.id, since: since, tail: tail, follow: follow)
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    defer { streams.value.subtract(1, ordering: .relaxed) }
                    let (out, sink) = AsyncStream<ByteBuffer?>.makeStream(bufferingPolicy: .bufferingNewest(4096))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            defer { sink.finish() }
                            let encoder = JSONEncoder()
                            do {
                                for try await line in lines {
                                    let entry = LogEntry(time: line.time, stream: line.stream.rawValue, line: line.text)
                                    var bytes = (try? encoder.encode(entry)) ?? Data()
                                    bytes.append(UInt8(ascii: "\n"))
                                    sink.yield(ByteBuffer(bytes: bytes))
                                }
                            } catch is CancellationError {
                            } catch let error as DockerError where error.code == .notFound {
                                // Removed while followed: the stream ends.
                            } catch {}
                        }
                        if follow {
                            group.addTask {
                                while true {
                                    try await Task.sleep(for: heartbeat)
                                    sink.yield(nil)
                                }
                            }
                        }
                        for await chunk in out { try await writer.write(chunk ?? ByteBuffer(string: "\n")) }
                        group.cancelAll()
                    }
                    try await writer.finish(nil)
                }
            )
        }
        let onBound = self.onBound
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "atlantis-supervisor"),
            onServerRunning: { channel in await onBound(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()
    }
}
