import AsyncHTTPClient
import Foundation
public import ManagerAPI
import NIOCore
import NIOHTTP1
public import ZKModel

extension ManagerClient {
    /// Uploads a source archive (a tar) for `app`; the answer names its digest.
    public func uploadSource(app: String, tar: [UInt8]) async throws -> SourceUploaded {
        var request = HTTPClientRequest(url: baseURL + "/v1/apps/\(Self.segment(app))/sources")
        request.method = .POST
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: tar))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(300))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw Problem(.unreachable, "the manager at \(baseURL) is unreachable (\(error))")
        }
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Self.problem(status: Int(response.status.code), data: data)
        }
        do {
            return try JSONDecoder().decode(SourceUploaded.self, from: data)
        } catch {
            throw Problem(.internal, "the manager's answer to the upload cannot be read: \(error)")
        }
    }

    public func build(app: String, source: BuildSource) async throws -> BuildInfo {
        try await send(
            .POST,
            "/v1/apps/\(Self.segment(app))/builds",
            body: BuildCreateRequest(source: source),
            as: BuildInfo.self
        ).value
    }

    public func builds(app: String, limit: Int = 50) async throws -> [BuildInfo] {
        try await send(.GET, "/v1/apps/\(Self.segment(app))/builds?limit=\(limit)", as: BuildList.self).value.builds
    }

    public func build(_ id: String) async throws -> BuildInfo {
        try await send(.GET, "/v1/builds/\(Self.segment(id))", as: BuildInfo.self).value
    }

    public func cancelBuild(_ id: String) async throws -> BuildInfo {
        try await send(.DELETE, "/v1/builds/\(Self.segment(id))", as: BuildInfo.self).value
    }

    public func triggerBuild(deploy: String) async throws -> BuildInfo {
        try await send(.POST, "/v1/deploys/\(Self.segment(deploy))/build", as: BuildInfo.self).value
    }

    /// The build's log: all of it, then (with `follow`) what is added until the build ends.
    public func buildLog(_ id: String, follow: Bool, onChunk: (String) async throws -> Void) async throws {
        var request = HTTPClientRequest(
            url: baseURL + "/v1/builds/\(Self.segment(id))/log\(follow ? "?follow=true" : "")"
        )
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(2))
        } catch {
            throw Problem(.unreachable, "the manager at \(baseURL) is unreachable (\(error))")
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Self.problem(status: Int(response.status.code), data: Data(body.readableBytesView))
        }
        for try await chunk in response.body { try await onChunk(String(buffer: chunk)) }
    }
}
