import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import ZKModel

/// Serves build logs to the manager (which relays them to `atlantis build logs`, with the
/// caller's credentials checked there): `GET /v1/builds/{id}/log[?follow=true]`, plain text,
/// live while the build runs. Bound to loopback by default; it serves logs only.
public struct BuildLogServer: Service {
    let logs: BuildLogStore
    let host: String
    let port: Int
    let logger: Logger
    let onBound: @Sendable (Int) async -> Void

    public init(
        logs: BuildLogStore,
        host: String,
        port: Int,
        logger: Logger,
        onBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.logs = logs
        self.host = host
        self.port = port
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let router = Router()
        let logs = self.logs
        router.get("/v1/builds/:id/log") { request, context -> Response in
            let id = try context.parameters.require("id")
            guard BuildRequest.isValidID(id) else {
                throw HTTPError(.badRequest, message: "\(id) is not a build id (b-<time>-<hex>)")
            }
            let follow = request.uri.queryParameters["follow"].map { $0 == "true" || $0 == "1" } ?? false
            guard follow else {
                guard let bytes = logs.read(id) else { throw HTTPError(.notFound, message: "no log for build \(id)") }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
                )
            }
            let stream = logs.follow(id)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    for await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                    try await writer.finish(nil)
                }
            )
        }
        let onBound = self.onBound
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "atlantis-builder"),
            onServerRunning: { channel in await onBound(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()
    }
}
