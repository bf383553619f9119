import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1

extension DockerClient {
    /// Builds an image from a tar build context (`POST /build`, the Engine's classic builder)
    /// and tags it `tag`; `onOutput` gets each line the build prints as it prints it. Returns the
    /// image id. A failing step is `.buildFailed` with its message; closing the connection (the
    /// calling task cancelled) stops the build.
    public func build(
        context: [UInt8],
        tag: String,
        timeout: TimeAmount = .minutes(30),
        onOutput: @Sendable (String) -> Void = { _ in }
    ) async throws(DockerError) -> String {
        let operation = "build \(tag)"
        var request = try self.request(.POST, "/build", query: [("t", tag), ("rm", "1"), ("forcerm", "1")])
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        request.body = .bytes(ByteBuffer(bytes: context))
        struct Line: Decodable {
            struct Aux: Decodable { var ID: String? }
            var stream: String?
            var error: String?
            var aux: Aux?
        }
        var imageID: String?
        var failure: String?
        var output = ""
        do {
            let response = try await http.execute(request, timeout: timeout)
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 1 << 20)
                throw Self.error(status: Int(response.status.code), body: body, operation: operation)
            }
            var pending: [UInt8] = []
            for try await chunk in response.body {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    guard let decoded = try? JSONDecoder().decode(Line.self, from: Data(line)) else { continue }
                    if let text = decoded.stream {
                        output += text
                        for part in text.split(separator: "\n", omittingEmptySubsequences: true) {
                            onOutput(String(part))
                        }
                    }
                    if let error = decoded.error { failure = error }
                    if let id = decoded.aux?.ID { imageID = id }
                }
            }
        } catch let error as DockerError {
            throw error
        } catch {
            throw DockerError(code: .unreachable, operation: operation, message: "the build stream ended: \(error)")
        }
        if let failure {
            let tail = output.split(separator: "\n").suffix(5).joined(separator: "\n")
            throw DockerError(code: .buildFailed, status: 200, operation: operation, message: "\(failure)\n\(tail)")
        }
        guard let imageID else {
            throw DockerError(code: .badResponse, operation: operation, message: "the build named no image")
        }
        return imageID
    }

    /// Pushes `reference` (`registry/repo:tag`) and returns the manifest digest the registry
    /// stored (`sha256:…`).
    public func push(_ reference: String, timeout: TimeAmount = .minutes(30)) async throws(DockerError) -> String {
        let (image, tag) = Self.split(reference: reference)
        let operation = "push \(reference)"
        var request = try self.request(.POST, "/images/\(image)/push", query: tag.map { [("tag", $0)] } ?? [])
        // The local registry needs no credentials; the Engine requires the header anyway.
        request.headers.add(name: "X-Registry-Auth", value: Data("{}".utf8).base64EncodedString())
        struct Line: Decodable {
            struct Aux: Decodable { var Digest: String? }
            var error: String?
            var aux: Aux?
        }
        var body = ByteBuffer()
        let status: Int
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            for try await var chunk in response.body { body.writeBuffer(&chunk) }
        } catch {
            throw DockerError(
                code: .unreachable,
                operation: operation,
                message: "the Engine at \(socketPath) did not answer: \(error)"
            )
        }
        guard status == 200 else {
            let refused = Self.error(status: status, body: body, operation: operation)
            throw DockerError(code: .pushFailed, status: status, operation: operation, message: refused.message)
        }
        var digest: String?
        for line in String(buffer: body).split(separator: "\n") {
            guard let decoded = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)) else { continue }
            if let error = decoded.error {
                throw DockerError(code: .pushFailed, status: status, operation: operation, message: error)
            }
            if let found = decoded.aux?.Digest { digest = found }
        }
        if let digest { return digest }
        // Over this client the Engine's stream has ended before its last lines (the digest)
        // although the push completes (seen with dockerd 20.10 and AsyncHTTPClient; curl gets
        // them): ask the registry for the manifest it now holds.
        if let digest = await registryDigest(image: image, tag: tag ?? "latest") { return digest }
        throw DockerError(
            code: .badResponse,
            operation: operation,
            message: "the push named no digest and the registry has no manifest: \(String(buffer: body).suffix(300))"
        )
    }

    /// The digest of `image:tag`'s manifest in the registry its name starts with (plain HTTP: a
    /// registry on this machine); nil when it has none after a few tries.
    func registryDigest(image: String, tag: String) async -> String? {
        guard let slash = image.firstIndex(of: "/") else { return nil }
        let registry = RegistryClient(address: String(image[..<slash]))
        let repository = String(image[image.index(after: slash)...])
        for _ in 0..<20 {
            if let digest = try? await registry.manifestDigest(repository: repository, reference: tag) {
                return digest
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

}
