import Docker
import Foundation
import Logging
import Reconciler
import Synchronization

/// Instance ids from the Engine's side: every container of this host at start (so orphans are
/// reconciled away), then each container event as it happens (a container that dies is
/// reconciled at once). When the event stream breaks it is followed again from where it
/// stopped, and every container listed again.
final class DockerKeySource: KeySource, Informer, Sendable {
    let docker: DockerClient
    let hostID: String
    let logger: Logger

    private struct State {
        var keys: Set<String> = []
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var next = 0
    }
    private let state = Mutex(State())
    private let syncGate = SyncLatch()

    init(docker: DockerClient, hostID: String, logger: Logger) {
        self.docker = docker
        self.hostID = hostID
        self.logger = logger
    }

    var hostLabel: String { "\(ContainerLabels.host)=\(hostID)" }

    func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let id = state.withLock { s in
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func allKeys() -> [String] { state.withLock { Array($0.keys) } }

    func waitUntilSynced() async throws { try await syncGate.wait() }

    func run() async {
        var since: Int?
        while !Task.isCancelled {
            do {
                let listed = try await docker.containers(labels: [hostLabel])
                let keys = Set(listed.compactMap { $0.labels[ContainerLabels.instance] })
                let now = Int(Date().timeIntervalSince1970)
                let subscribers = state.withLock { s in
                    s.keys = keys
                    return Array(s.subscribers.values)
                }
                syncGate.open()
                for key in keys { subscribers.forEach { $0.yield(key) } }
                for try await event in docker.containerEvents(labels: [hostLabel], since: since ?? now) {
                    since = Int(event.timeNano / 1_000_000_000)
                    guard let key = event.attributes[ContainerLabels.instance] else { continue }
                    let subscribers = state.withLock { s in
                        s.keys.insert(key)
                        return Array(s.subscribers.values)
                    }
                    subscribers.forEach { $0.yield(key) }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("supervisor.docker_events_lost", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
        state.withLock { $0.subscribers.values.forEach { $0.finish() } }
    }
}
