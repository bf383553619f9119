import Foundation
import NIOCore
import NIOHTTP1

extension DockerClient {
    /// Containers carrying every one of `labels` (`key=value` or just `key`), stopped ones too.
    public func containers(labels: [String]) async throws(DockerError) -> [ContainerSummary] {
        let filters = Self.filters(["label": labels])
        let reply = try await send(
            .GET,
            "/containers/json",
            query: [("all", "1"), ("filters", filters)],
            operation: "list containers"
        )
        return try decode([ContainerSummary].self, reply, operation: "list containers")
    }

    /// nil when no such container exists.
    public func inspect(container id: String) async throws(DockerError) -> ContainerDetails? {
        let reply = try await send(.GET, "/containers/\(id)/json", operation: "inspect \(id)", accept: [404])
        if reply.status == 404 { return nil }
        return try decode(ContainerDetails.self, reply, operation: "inspect \(id)")
    }

    /// Creates a container and returns its id.
    public func create(name: String, _ config: ContainerConfig) async throws(DockerError) -> String {
        struct Created: Decodable { var Id: String }
        let reply = try await send(
            .POST,
            "/containers/create",
            query: [("name", name)],
            json: config,
            operation: "create \(name)"
        )
        return try decode(Created.self, reply, operation: "create \(name)").Id
    }

    public func start(container id: String) async throws(DockerError) {
        // 304: already running.
        _ = try await send(.POST, "/containers/\(id)/start", operation: "start \(id)", accept: [304])
    }

    /// SIGTERM, then SIGKILL after `grace` seconds. A container already stopped is fine.
    public func stop(container id: String, grace: Int) async throws(DockerError) {
        _ = try await send(
            .POST,
            "/containers/\(id)/stop",
            query: [("t", "\(grace)")],
            operation: "stop \(id)",
            accept: [304, 404],
            timeout: .seconds(Int64(grace) + 30)
        )
    }

    public func kill(container id: String, signal: String = "KILL") async throws(DockerError) {
        _ = try await send(.POST, "/containers/\(id)/kill", query: [("signal", signal)], operation: "kill \(id)")
    }

    /// Removes a container (forcibly if it still runs) and its anonymous volumes. A container
    /// already gone is fine.
    public func remove(container id: String) async throws(DockerError) {
        _ = try await send(
            .DELETE,
            "/containers/\(id)",
            query: [("force", "1"), ("v", "1")],
            operation: "remove \(id)",
            accept: [404]
        )
    }

    static func filters(_ filters: [String: [String]]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: filters, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
