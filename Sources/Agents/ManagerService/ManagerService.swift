import Dashboard
import Hummingbird
import Logging
import Manager
import NIOCore
public import ServiceLifecycle

/// `atlantis manager`: the API on HTTP, started and stopped gracefully by a `ServiceGroup`.
public struct ManagerService: Service {
    public let routes: ManagerRoutes
    let onListening: @Sendable (Int) async -> Void

    public init(routes: ManagerRoutes, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.routes = routes
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = routes.configuration
        let idle = configuration.idleTimeout.components
        let app = Application(
            router: routes.router(),
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000)
                )
            ),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "atlantis"
            ),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: routes.manager.logger
        )
        if let region = configuration.region { try await claim(region) }
        // The read copies live as long as the server; both end together.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await routes.reads.run() }
            group.addTask { await routes.dashboard.run() }
            if let auth = routes.auth { group.addTask { await auth.tokens.run() } }
            if routes.configuration.recordsBuilds {
                let recorder = BuildRecorder(manager: routes.manager)
                group.addTask { await recorder.run() }
            }
            try await app.runService()
            group.cancelAll()
        }
    }

    /// Claims the tree for `region`, retrying while ZooKeeper cannot be reached; a tree of
    /// another region stops the manager before it serves anything.
    private func claim(_ region: String) async throws {
        while true {
            do {
                try await routes.manager.store.claimRegion(region)
                return
            } catch let mismatch as RegionMismatch {
                routes.manager.logger.critical("manager.region", metadata: ["error": "\(mismatch)"])
                throw mismatch
            } catch {
                routes.manager.logger.warning("manager.region.retry", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
