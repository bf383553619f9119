public import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// The parts of the Distribution (registry v2) API Atlantis uses beside the Engine's push and
/// pull: blobs (uploaded sources live in the registry, content-addressed, never in ZooKeeper)
/// and manifest digests. Plain HTTP: the registry of this cluster.
public struct RegistryClient: Sendable {
    public let address: String
    let http: HTTPClient

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// Whether trying again later may work (the registry down, a 5xx).
        public let retryable: Bool
    }

    /// A registry that is down is an error at once (connection refused), not a connection retried
    /// until the request's deadline.
    public static let failFast: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// `address` is `host:port` (`127.0.0.1:5000`).
    public init(address: String, http: HTTPClient = RegistryClient.failFast) {
        self.address = address
        self.http = http
    }

    /// `sha256:<hex>` of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Stores `bytes` as a blob of `repository` (monolithic upload: POST, then PUT with the
    /// digest); a blob already there is not sent again. Returns its digest.
    @discardableResult
    public func putBlob(_ bytes: [UInt8], repository: String) async throws(Failure) -> String {
        let digest = Self.digest(bytes)
        if try await hasBlob(digest, repository: repository) { return digest }
        var start = HTTPClientRequest(url: "http://\(address)/v2/\(repository)/blobs/uploads/")
        start.method = .POST
        start.headers.add(name: "Content-Length", value: "0")
        let started = try await execute(start, "start an upload to \(repository)")
        guard started.status == .accepted, let location = started.headers.first(name: "Location") else {
            throw Failure(
                description:
                    "the registry at \(address) refused an upload to \(repository): HTTP \(started.status.code)",
                retryable: started.status.code >= 500
            )
        }
        let base = location.hasPrefix("http") ? location : "http://\(address)\(location)"
        let separator = base.contains("?") ? "&" : "?"
        var put = HTTPClientRequest(url: "\(base)\(separator)digest=\(digest)")
        put.method = .PUT
        put.headers.add(name: "Content-Type", value: "application/octet-stream")
        put.body = .bytes(ByteBuffer(bytes: bytes))
        let stored = try await execute(put, "upload to \(repository)")
        guard stored.status == .created else {
            throw Failure(
                description: "the registry at \(address) did not store the blob: HTTP \(stored.status.code)",
                retryable: stored.status.code >= 500
            )
        }
        return digest
    }

    /// Whether the registry answers its API root (`GET /v2/`).
    public func ping() async throws(Failure) {
        let response = try await execute(HTTPClientRequest(url: "http://\(address)/v2/"), "reach the registry")
        guard response.status == .ok || response.status == .unauthorized else {
            throw Failure(
                description: "the registry at \(address) answered HTTP \(response.status.code)",
                retryable: true
            )
        }
    }

    public func hasBlob(_ digest: String, repository: String) async throws(Failure) -> Bool {
        var request = HTTPClientRequest(url: "http://\(address)/v2/\(repository)/blobs/\(digest)")
        request.method = .HEAD
        return try await execute(request, "look for a blob in \(repository)").status == .ok
    }

    /// The blob's bytes, checked against its digest; nil when the registry has no such blob.
    public func blob(_ digest: String, repository: String, maxBytes: Int) async throws(Failure) -> [UInt8]? {
        let request = HTTPClientRequest(url: "http://\(address)/v2/\(repository)/blobs/\(digest)")
        let response = try await execute(request, "fetch a blob from \(repository)")
        if response.status == .notFound { return nil }
        guard response.status == .ok else {
            throw Failure(
                description: "the registry at \(address) answered HTTP \(response.status.code) for blob \(digest)",
                retryable: response.status.code >= 500
            )
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: maxBytes)
        } catch {
            throw Failure(description: "blob \(digest) is over \(maxBytes) bytes or was cut: \(error)", retryable: true)
        }
        let bytes = Array(body.readableBytesView)
        guard Self.digest(bytes) == digest else {
            throw Failure(description: "blob \(digest) came back with other contents", retryable: true)
        }
        return bytes
    }

    /// The digest of `repository:reference`'s manifest, nil when there is none.
    public func manifestDigest(repository: String, reference: String) async throws(Failure) -> String? {
        var request = HTTPClientRequest(url: "http://\(address)/v2/\(repository)/manifests/\(reference)")
        request.method = .HEAD
        request.headers.add(name: "Accept", value: "application/vnd.docker.distribution.manifest.v2+json")
        let response = try await execute(request, "look up \(repository):\(reference)")
        guard response.status == .ok else { return nil }
        return response.headers.first(name: "Docker-Content-Digest")
    }

    private func execute(_ request: HTTPClientRequest, _ what: String) async throws(Failure) -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw Failure(
                description: "could not \(what): the registry at \(address) did not answer (\(error))",
                retryable: true
            )
        }
    }
}
