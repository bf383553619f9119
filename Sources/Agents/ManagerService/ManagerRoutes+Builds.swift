import AsyncHTTPClient
import Docker
import Foundation
import HTTPTypes
import Hummingbird
import Manager
import ManagerAPI
import NIOCore
import NIOHTTP1
import ZKModel
import ZooKeeper

extension ManagerRoutes {
    /// `POST /v1/apps/{name}/sources`: a tar of the app's source, checked (paths inside the tree,
    /// links that stay in it, size) and stored in the registry as a blob, content-addressed.
    /// Nothing is written to ZooKeeper: a build refers to it by digest.
    func uploadSource(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        guard let registry = configuration.registry else {
            throw Problem(.badRequest, "this manager takes no uploads (atlantis manager --registry HOST:PORT)")
        }
        let limit = configuration.maxSourceBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw Problem(.tooLarge, "the source is \(declared) bytes; at most \(limit >> 20) MiB are accepted")
        }
        let type = request.headers[.contentType]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard type == "application/x-tar" else {
            throw Problem(.unsupportedMediaType, "a source is an application/x-tar body, not \(type ?? "untyped")")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw Problem(.tooLarge, "the source is above \(limit >> 20) MiB, the most accepted")
        }
        let bytes = Array(buffer.readableBytesView)
        let entries: [TarReader.Entry]
        do {
            entries = try TarReader().read(bytes, limits: .init(maxBytes: limit))
        } catch {
            throw Problem(.badRequest, "the source is refused: \(error.description); nothing was stored")
        }
        guard !entries.isEmpty else { throw Problem(.badRequest, "the source archive holds no files") }
        // The caller must be allowed to build the app before anything is stored.
        _ = try await run { () async throws(ManagerError) in try await manager.mayBuild(app: app) }
        let digest: String
        do {
            digest = try await RegistryClient(address: registry).putBlob(bytes, repository: "atlantis-sources/\(app)")
        } catch {
            throw Problem(.unreachable, "the source could not be stored: \(error.description)")
        }
        return try Reply.json(SourceUploaded(digest: digest, size: bytes.count, files: entries.count), status: .created)
    }

    /// `POST /v1/apps/{name}/builds`.
    func createBuild(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let body = try await RequestBody.read(
            request,
            limit: configuration.maxBodyBytes,
            maxNesting: configuration.maxNesting
        ).json().decode(BuildCreateRequest.self, allowed: BuildCreateRequest.fields)
        let requestedBy = WriteAccess.current?.name ?? AuditCaller.current ?? "anonymous"
        let id = try await run { () async throws(ManagerError) in
            try await manager.requestBuild(app: app, source: body.source, requestedBy: requestedBy)
        }
        let view = try await run { () async throws(ManagerError) in try await manager.build(id) }
        guard let view else { throw Problem(.notFound, "build \(id) vanished") }
        return try Reply.json(BuildInfo(id: id, request: view.request, status: view.status), status: .created)
    }

    /// `GET /v1/apps/{name}/builds`.
    func listBuilds(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let limit = request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 50
        guard (1...500).contains(limit) else { throw Problem(.badRequest, "limit must be 1-500") }
        let views = try await run { () async throws(ManagerError) in try await manager.builds(app: app, limit: limit) }
        return try Reply.json(
            BuildList(builds: views.map { BuildInfo(id: $0.id, request: $0.request, status: $0.status) })
        )
    }

    /// `GET /v1/builds/{name}`.
    func oneBuild(_ id: String) async throws -> Response {
        let view = try await run { () async throws(ManagerError) in try await manager.build(id) }
        guard let view else { throw Problem(.notFound, "no build \(id); see `atlantis builds APP`") }
        return try Reply.json(BuildInfo(id: id, request: view.request, status: view.status))
    }

    /// `DELETE /v1/builds/{name}`: cancels a build (it stays listed, `cancelled`).
    func cancelBuild(_ id: String) async throws -> Response {
        let view = try await run { () async throws(ManagerError) in try await manager.cancelBuild(id) }
        return try Reply.json(BuildInfo(id: id, request: view.request, status: view.status))
    }

    /// `POST /v1/deploys/{name}/build`: builds a Deploy's `build:` ref now.
    func triggerBuild(_ deploy: String) async throws -> Response {
        let deploy = try name(deploy, of: "deploy")
        let requestedBy = WriteAccess.current?.name ?? AuditCaller.current ?? "anonymous"
        let id = try await run { () async throws(ManagerError) in
            try await manager.triggerDeployBuild(deploy: deploy, commit: nil, requestedBy: requestedBy)
        }
        guard let id else { throw Problem(.conflict, "no build was needed") }
        let view = try await run { () async throws(ManagerError) in try await manager.build(id) }
        guard let view else { throw Problem(.notFound, "build \(id) vanished") }
        return try Reply.json(BuildInfo(id: id, request: view.request, status: view.status), status: .created)
    }

    /// `GET /v1/builds/{name}/log[?follow=true]`: relayed from the builder that keeps it.
    func buildLog(_ request: Request, id: String) async throws -> Response {
        guard BuildRequest.isValidID(id) else { throw Problem(.badRequest, "\"\(id)\" is not a build id") }
        let view = try await run { () async throws(ManagerError) in try await manager.build(id) }
        guard let view else { throw Problem(.notFound, "no build \(id); see `atlantis builds APP`") }
        let follow = request.uri.queryParameters["follow"].map { $0 == "true" || $0 == "1" } ?? false
        let builder = view.status?.builder
        let registrations = try await read { try await zk.children(tree.builders) }
        // The builder that worked on it, else any (a log is on the builder that ran it).
        let candidates = builder.map { name in registrations.filter { $0 == name } } ?? registrations
        guard let chosen = candidates.first,
            let data = try? await zk.getData(tree.builder(chosen)).data,
            let registration = try? Payload.decode(BuilderRegistration.self, from: data, path: tree.builder(chosen))
        else {
            if let tail = view.status?.logTail {
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: tail))
                )
            }
            throw Problem(.unreachable, "the builder that keeps build \(id)'s log is not running")
        }
        var upstream = HTTPClientRequest(
            url: "\(registration.logURL)/v1/builds/\(id)/log\(follow ? "?follow=true" : "")"
        )
        upstream.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(upstream, timeout: .hours(2))
        } catch {
            throw Problem(.unreachable, "builder \(chosen) did not answer at \(registration.logURL): \(error)")
        }
        guard response.status == .ok else {
            if response.status == .notFound {
                // Queued, or fetched nothing yet: an empty log.
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init())
            }
            throw Problem(.unreachable, "builder \(chosen) answered \(response.status.code) for build \(id)'s log")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                for try await chunk in response.body { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }
}
