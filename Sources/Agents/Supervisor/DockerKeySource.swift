import Docker
import Foundation
import Logging
import Reconciler
import Synchronization

/// Instance ids from the Engine's side: every container of this host at start (so orphans are
/// reconciled away), then each container event as it happens (a container that dies is
/// reconciled at once). When the event stream breaks it is followed again from where it
/// stopped, and every container listed again. A warm sandbox's events go to the instance whose
/// container runs in it (named by that container's `atlantis.sandbox` label): a sandbox that
/// dies has its container replaced at once.
final class DockerKeySource: KeySource, Informer, Sendable {
    let docker: DockerClient
    let hostID: String
    let logger: Logger

    private struct State {
        var keys: Set<String> = []
        /// Sandbox id → the instance whose container runs in it.
        var sandboxes: [String: String] = [:]
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
                var sandboxes: [String: String] = [:]
                for c in listed {
                    if let box = c.labels[ContainerLabels.sandbox], let key = c.labels[ContainerLabels.instance] {
                        sandboxes[box] = key
                    }
                }
                let now = Int(Date().timeIntervalSince1970)
                let subscribers = state.withLock { s in
                    s.keys = keys
                    s.sandboxes = sandboxes
                    return Array(s.subscribers.values)
                }
                syncGate.open()
                for key in keys { subscribers.forEach { $0.yield(key) } }
                for try await event in docker.containerEvents(labels: [hostLabel], since: since ?? now) {
                    since = Int(event.timeNano / 1_000_000_000)
                    let routed = state.withLock { s -> (key: String, to: [AsyncStream<String>.Continuation])? in
                        let key: String
                        if let own = event.attributes[ContainerLabels.instance] {
                            key = own
                            if let box = event.attributes[ContainerLabels.sandbox] { s.sandboxes[box] = own }
                            s.keys.insert(own)
                        } else if let owner = s.sandboxes[event.containerID] {
                            key = owner
                            if event.action == "destroy" { s.sandboxes[event.containerID] = nil }
                        } else {
                            return nil
                        }
                        return (key, Array(s.subscribers.values))
                    }
                    guard let routed else { continue }
                    routed.to.forEach { $0.yield(routed.key) }
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
