import ServiceLifecycle
import ZooKeeper

/// Connects to ZooKeeper inside the service group, then runs the agent made with the session.
/// A SIGTERM or SIGINT while ZooKeeper is still unreachable therefore stops the process like any
/// other graceful shutdown (exit 0), rather than killing it before the group handles signals.
struct ZooKeeperAgentService: Service {
    let configuration: ZooKeeperConfiguration
    let makeAgent: @Sendable (ZooKeeperClient) -> any Service

    func run() async throws {
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
