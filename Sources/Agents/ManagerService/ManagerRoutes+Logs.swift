import Dashboard
import Foundation
import Hummingbird
import Manager
import ManagerAPI
import NIOCore
import ZKModel

extension ManagerRoutes {
    /// `GET /v1/apps/{name}/environments/{env}/logs[?instance=&since=&tail=&follow=true]`: the
    /// environment's container output as JSON lines (`LogEntry`), for its team and admins.
    func logs(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let env = try name(context.parameters.require("env"), of: "environment")
        let query = request.uri.queryParameters
        let instance = try query["instance"].map { try name(String($0), of: "instance") }
        // The audit's `since` (an ISO 8601 time or an age like 10m), or unix seconds.
        let since = try query["since"].map { text in
            try Int(String(text)).flatMap { $0 >= 0 ? $0 : nil } ?? Int(Self.since(String(text)).timeIntervalSince1970)
        }
        let tail = try query["tail"].map { text -> Int in
            guard let value = Int(text), (0...100_000).contains(value) else {
                throw Problem(.badRequest, "tail is a number of lines from 0 to 100000, not \(text)")
            }
            return value
        }
        let follow = query["follow"].map { $0 == "true" || $0 == "1" } ?? false
        try await mayReadLogs(app: app)
        let hub = dashboard
        let relay = LogRelay(zk: zk, tree: tree, watcher: watcher) { hub.isSynced ? hub.snapshot : nil }
        let asked = LogRelay.Request(
            app: app,
            environment: env,
            instance: instance,
            since: since,
            tail: tail,
            follow: follow
        )
        // Refusals (an unknown instance) are answered before the stream starts.
        if let instance, try await relay.sources(asked)[instance] == nil {
            throw Problem(.notFound, "instance \(instance) does not run \(app) in \(env); see `atlantis instances`")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let (lines, sink) = AsyncStream<ByteBuffer>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { sink.finish() }
                        try await relay.run(asked) { entries in
                            guard !entries.isEmpty else { return }
                            var buffer = ByteBuffer()
                            for entry in entries {
                                buffer.writeBytes(try Reply.encoder.encode(entry))
                                buffer.writeInteger(UInt8(ascii: "\n"))
                            }
                            sink.yield(buffer)
                        }
                    }
                    if follow {
                        // An empty line now and then: a reader that went away is noticed.
                        group.addTask {
                            while true {
                                try await Task.sleep(for: .seconds(15))
                                sink.yield(ByteBuffer(string: "\n"))
                            }
                        }
                    }
                    for await buffer in lines { try await writer.write(buffer) }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Refuses (403, audited) a caller who is not in the app's team nor an admin.
    func mayReadLogs(app: String) async throws {
        // A read's principal carries no teams: ask for them as a write would.
        var principal = WriteAccess.current
        if let auth, let current = Authenticated.current {
            principal = try await auth.principal(current, forWrite: true)
        }
        try await WriteAccess.$current.withValue(principal) {
            try await run { () async throws(ManagerError) in try await manager.mayReadLogs(app: app) }
        }
    }
}
