import Docker
import Foundation
import Logging
import Synchronization

/// Network sandboxes started ahead of deploys. Making a container's network (its namespace, its
/// address on the host's network, its published port) is most of the Engine's `start`; a sandbox
/// is a tiny container (the gate's static busybox, sleeping) that has all of it already. A new
/// instance's container joins one (`NetworkMode: container:<id>`) once its egress rules are in
/// the sandbox's namespace, so its workload never runs without them and needs no start gate.
///
/// The pool makes a new spare a moment after one is taken (`quiet`: not during the deploy that
/// took it) and sweeps: a spare that stopped or is one too many, and a claimed sandbox that no
/// container has used for `abandonAfter`, are removed; after a restart, a sandbox a container
/// uses is claimed and one nobody uses is a spare again. Sandboxes carry the host's label (their
/// ports count as used; `atlantis dev down` removes them) and never an instance's.
final class SandboxPool: Sendable {
    struct Spare: Sendable, Hashable {
        let id: String
        let name: String
        /// The port the workload listens on inside (the sandbox exposes it).
        let containerPort: Int
        /// Where the sandbox publishes it on the host.
        let hostPort: Int
    }

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    let configuration: SupervisorConfiguration
    let docker: DockerClient
    let ports: PortAllocator
    let logger: Logger
    let quiet: Duration
    let sweepEvery: Duration
    let abandonAfter: Duration

    private struct State {
        var spares: [Spare] = []
        /// Sandboxes handed to an instance, and when.
        var claimed: [String: ContinuousClock.Instant] = [:]
        /// The container port the next spare exposes: the last one asked for.
        var wanted = 8080
        var lastTake: ContinuousClock.Instant?
        var dirty = true
    }
    private let state = Mutex(State())

    init(
        configuration: SupervisorConfiguration,
        docker: DockerClient,
        ports: PortAllocator,
        logger: Logger,
        quiet: Duration = .seconds(1),
        sweepEvery: Duration = .seconds(30),
        abandonAfter: Duration = .seconds(300)
    ) {
        self.configuration = configuration
        self.docker = docker
        self.ports = ports
        self.logger = logger
        self.quiet = quiet
        self.sweepEvery = sweepEvery
        self.abandonAfter = abandonAfter
    }

    var target: Int { configuration.warmSandboxes }

    /// A started spare exposing `containerPort`, now the caller's; nil when there is none (the
    /// caller starts its container the usual way, and the pool makes one for that port next).
    func take(containerPort: Int) -> Spare? {
        let spare = state.withLock { s -> Spare? in
            s.wanted = containerPort
            s.dirty = true
            s.lastTake = .now
            guard let index = s.spares.firstIndex(where: { $0.containerPort == containerPort }) else { return nil }
            let spare = s.spares.remove(at: index)
            s.claimed[spare.id] = .now
            return spare
        }
        if let spare { ports.release(Self.portKey(spare.name)) }
        return spare
    }

    /// The sandbox is gone (removed with its container, or found stopped).
    func release(_ id: String) {
        state.withLock { s in
            s.claimed[id] = nil
            s.spares.removeAll { $0.id == id }
            s.dirty = true
        }
    }

    var spares: [Spare] { state.withLock { $0.spares } }

    /// Builds the image if missing, then keeps the spares made and swept until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                try await ensureImage()
                break
            } catch {
                logger.warning(
                    "supervisor.sandbox_image_failed",
                    metadata: [
                        "image": "\(configuration.sandboxImage)", "error": "\(error)", "effect": "no warm starts",
                    ]
                )
                try? await Task.sleep(for: .seconds(10))
            }
        }
        var lastSweep: ContinuousClock.Instant?
        while !Task.isCancelled {
            let due = state.withLock { s in
                s.dirty && (s.lastTake.map { $0 + quiet <= .now } ?? true)
            }
            if due || lastSweep.map({ $0 + sweepEvery <= .now }) ?? true {
                do {
                    try await sweepAndRefill()
                } catch {
                    logger.warning("supervisor.sandbox_refill_failed", metadata: ["error": "\(error)"])
                }
                lastSweep = .now
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// One look at the host's sandboxes: stopped, surplus and abandoned ones removed, unknown
    /// running ones adopted as spares, then spares made up to `target`.
    func sweepAndRefill() async throws {
        let listed = try await docker.containers(labels: ["\(ContainerLabels.host)=\(configuration.hostID)"])
        let used = Set(listed.compactMap { $0.labels[ContainerLabels.sandbox] })
        let boxes = listed.filter { $0.labels[ContainerLabels.role] == "sandbox" }
        let (doomed, wanted, missing) = state.withLock { s in
            s.dirty = false
            var doomed: [(id: String, name: String)] = []
            let running = Set(boxes.filter(\.isRunning).map(\.id))
            for spare in s.spares where !running.contains(spare.id) { doomed.append((spare.id, spare.name)) }
            s.spares.removeAll { !running.contains($0.id) }
            let spareIDs = Set(s.spares.map(\.id))
            for box in boxes where !spareIDs.contains(box.id) {
                if used.contains(box.id) {
                    s.claimed[box.id] = s.claimed[box.id] ?? .now
                } else if let since = s.claimed[box.id] {
                    if since + abandonAfter <= .now {
                        s.claimed[box.id] = nil
                        doomed.append((box.id, InstanceReconciler.name(of: box)))
                    }
                } else if box.isRunning, s.spares.count < target,
                    let port = box.ports.first(where: { $0.publicPort != nil }), let hostPort = port.publicPort
                {
                    // A spare of an earlier supervisor of this host, or one it claimed and never used.
                    let spare = Spare(
                        id: box.id,
                        name: InstanceReconciler.name(of: box),
                        containerPort: port.privatePort,
                        hostPort: hostPort
                    )
                    s.spares.append(spare)
                    ports.adopt(hostPort, for: Self.portKey(spare.name))
                } else {
                    doomed.append((box.id, InstanceReconciler.name(of: box)))
                }
            }
            while s.spares.count > target, let extra = s.spares.popLast() { doomed.append((extra.id, extra.name)) }
            // None for the port last asked for: the oldest spare makes way for one.
            if target > 0, s.spares.count == target, !s.spares.contains(where: { $0.containerPort == s.wanted }) {
                let oldest = s.spares.removeFirst()
                doomed.append((oldest.id, oldest.name))
            }
            return (doomed, s.wanted, max(0, target - s.spares.count))
        }
        for (id, name) in doomed {
            try? await docker.remove(container: id)
            ports.release(Self.portKey(name))
        }
        guard missing > 0 else { return }
        var published = Set<Int>()
        for c in listed {
            c.ports.compactMap(\.publicPort).forEach { published.insert($0) }
            if let port = c.labels[ContainerLabels.hostPort].flatMap({ Int($0) }) { published.insert(port) }
        }
        for _ in 0..<missing {
            let spare = try await make(containerPort: wanted, published: published)
            published.insert(spare.hostPort)
            state.withLock { $0.spares.append(spare) }
            logger.debug(
                "supervisor.sandbox_ready",
                metadata: ["sandbox": "\(spare.id.prefix(12))", "port": "\(spare.hostPort)"]
            )
        }
    }

    /// Creates and starts one sandbox in the host's network, publishing `containerPort`.
    func make(containerPort: Int, published: Set<Int>) async throws -> Spare {
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        let name = ContainerLabels.sandboxName(host: configuration.hostID, suffix: suffix)
        guard let hostPort = ports.port(for: Self.portKey(name), publishedByContainers: published) else {
            throw Refused(description: "no free host port in \(configuration.ports) for a warm sandbox")
        }
        let config = ContainerConfig(
            image: configuration.sandboxImage,
            env: [],
            labels: [
                ContainerLabels.managed: "true", ContainerLabels.host: configuration.hostID,
                ContainerLabels.role: "sandbox",
            ],
            containerPort: containerPort,
            hostIP: configuration.address,
            hostPort: hostPort,
            stopTimeout: 1,
            networkMode: configuration.network
        )
        var created: String?
        do {
            let id = try await docker.create(name: name, config)
            created = id
            try await docker.start(container: id)
            return Spare(id: id, name: name, containerPort: containerPort, hostPort: hostPort)
        } catch {
            if let created { try? await docker.remove(container: created) }
            let message = InstanceReconciler.message(error)
            if message.contains("port is already allocated") || message.contains("address already in use") {
                ports.clash(hostPort, for: Self.portKey(name))
            } else {
                ports.release(Self.portKey(name))
            }
            throw error
        }
    }

    /// The sandbox image: `FROM scratch`, the host's static busybox, `sleep` for ever.
    func ensureImage() async throws {
        if try await docker.imageExists(configuration.sandboxImage) { return }
        guard let busybox = FileManager.default.contents(atPath: configuration.gateShell) else {
            throw Refused(description: "\(configuration.gateShell) cannot be read (install busybox-static)")
        }
        var context = TarArchive()
        try context.add(
            "Dockerfile",
            contents: Array(
                """
                FROM scratch
                COPY busybox /busybox
                ENTRYPOINT ["/busybox", "sleep", "2147483647"]

                """.utf8
            )
        )
        try context.add("busybox", contents: Array(busybox), mode: 0o755)
        _ = try await docker.build(context: context.bytes, tag: configuration.sandboxImage)
        logger.info("supervisor.sandbox_image_built", metadata: ["image": "\(configuration.sandboxImage)"])
    }

    /// The key a spare's port is reserved under in the `PortAllocator`.
    static func portKey(_ name: String) -> String { "sandbox:\(name)" }
}
