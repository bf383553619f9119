import NIOHTTP1

extension DockerClient {
    private struct Attachment: Encodable {
        var Container: String
        var Force: Bool?
    }

    /// Attaches a running container to `network` (its published ports come with it).
    public func connect(container id: String, network: String) async throws(DockerError) {
        _ = try await send(
            .POST,
            "/networks/\(network)/connect",
            json: Attachment(Container: id),
            operation: "attach \(id) to network \(network)"
        )
    }

    /// Detaches a container from `network`.
    public func disconnect(container id: String, network: String) async throws(DockerError) {
        _ = try await send(
            .POST,
            "/networks/\(network)/disconnect",
            json: Attachment(Container: id, Force: true),
            operation: "detach \(id) from network \(network)"
        )
    }
}
