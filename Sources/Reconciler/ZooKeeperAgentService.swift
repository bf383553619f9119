public import ServiceLifecycle
public import ZooKeeper

/// Connects to ZooKeeper inside the service group, then runs the agent made with the session.
/// A SIGTERM or SIGINT while ZooKeeper is still unreachable therefore stops the process like any
/// other graceful shutdown (exit 0), rather than killing it before the group handles signals.
public struct ZooKeeperAgentService: Service {
    let configuration: ZooKeeperConfiguration
    let makeAgent: @Sendable (ZooKeeperClient) -> any Service

    public init(configuration: ZooKeeperConfiguration, makeAgent: @escaping @Sendable (ZooKeeperClient) -> any Service)
    {
        self.configuration = configuration
        self.makeAgent = makeAgent
    }

    public func run() async throws {
        let zk: ZooKeeperClient
        do {
            zk = try await cancelWhenGracefulShutdown { try await ZooKeeperClient.connect(configuration) }
        } catch is CancellationError {
            return  // stopped before a session was made: nothing to close
        }
        do {
            try await makeAgent(zk).run()
        } catch {
            await zk.close()
            throw error
        }
        await zk.close()
    }
}
