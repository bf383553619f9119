import Foundation
public import NIOCore
import NIOHTTP1

extension DockerClient {
    public func imageExists(_ reference: String) async throws(DockerError) -> Bool {
        try await imageCommand(reference) != nil
    }

    /// Pulls `reference` (`registry/repo:tag`, or `@sha256:` digest) and waits until it is stored.
    /// The Engine reports most failures inside a 200 stream; those become `.pullFailed` errors.
    public func pull(_ reference: String, timeout: TimeAmount = .minutes(10)) async throws(DockerError) {
        let (image, tag) = Self.split(reference: reference)
        var query = [("fromImage", image)]
        if let tag { query.append(("tag", tag)) }
        let operation = "pull \(reference)"
        let reply: Reply
        do {
            reply = try await send(.POST, "/images/create", query: query, operation: operation, timeout: timeout)
        } catch {
            throw DockerError(code: .pullFailed, status: error.status, operation: operation, message: error.message)
        }
        struct Progress: Decodable { var error: String? }
        for line in String(buffer: reply.body).split(separator: "\n") {
            if let message = try? JSONDecoder().decode(Progress.self, from: Data(line.utf8)).error {
                throw DockerError(code: .pullFailed, status: reply.status, operation: operation, message: message)
            }
        }
    }

    /// `host:5000/repo:tag` → (`host:5000/repo`, `tag`); a digest reference stays whole.
    static func split(reference: String) -> (image: String, tag: String?) {
        if reference.contains("@") { return (reference, nil) }
        let lastSlash = reference.lastIndex(of: "/") ?? reference.startIndex
        if let colon = reference[lastSlash...].lastIndex(of: ":") {
            return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
        }
        return (reference, "latest")
    }
}

extension DockerClient {
    /// Removes an image or, when other tags name the same image, just this tag.
    public func removeImage(_ reference: String) async throws(DockerError) {
        _ = try await send(.DELETE, "/images/\(reference)", operation: "remove image \(reference)", accept: [404])
    }
}

/// What an image runs when nothing overrides it.
public struct ImageCommand: Sendable, Hashable {
    public var entrypoint: [String]
    public var cmd: [String]

    /// The whole command line: entrypoint, then cmd.
    public var arguments: [String] { entrypoint + cmd }
}

extension DockerClient {
    /// The image's `Entrypoint` and `Cmd`; nil when the image is not stored here.
    public func imageCommand(_ reference: String) async throws(DockerError) -> ImageCommand? {
        struct Inspect: Decodable {
            struct Config: Decodable {
                var Entrypoint: [String]?
                var Cmd: [String]?
            }
            var Config: Config?
        }
        let reply = try await send(
            .GET,
            "/images/\(reference)/json",
            operation: "inspect image \(reference)",
            accept: [404]
        )
        if reply.status == 404 { return nil }
        let config = try decode(Inspect.self, reply, operation: "inspect image \(reference)").Config
        return ImageCommand(entrypoint: config?.Entrypoint ?? [], cmd: config?.Cmd ?? [])
    }
}
