import Docker
import Foundation
import ZKModel

/// The container an assignment asks for on this host: its Engine configuration and a hash of
/// what it depends on, so that an adopted container is kept exactly when it still matches.
struct ContainerPlan: Sendable, Hashable {
    let assignment: InstanceAssignment
    let specHash: String

    init(_ assignment: InstanceAssignment) throws(PayloadError) {
        self.assignment = assignment
        self.specHash = try Self.hash(assignment)
    }

    func config(host: SupervisorConfiguration, hostPort: Int, generation: Int, stopGrace: Int) -> ContainerConfig {
        let a = assignment
        var env = (a.env ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        env += [
            "ATLANTIS_APP=\(a.app)", "ATLANTIS_ENVIRONMENT=\(a.environment)", "ATLANTIS_INSTANCE=\(a.instance)",
            "ATLANTIS_ZONE=\(host.zone)", "ATLANTIS_HOST=\(host.hostID)", "ATLANTIS_PORT=\(a.port)",
            "ATLANTIS_HOST_ADDRESS=\(host.address)", "ATLANTIS_HOST_PORT=\(hostPort)",
        ]
        if let release = a.release { env.append("ATLANTIS_RELEASE=\(release)") }
        var labels = [
            ContainerLabels.managed: "true", ContainerLabels.host: host.hostID, ContainerLabels.instance: a.instance,
            ContainerLabels.app: a.app, ContainerLabels.environment: a.environment,
            ContainerLabels.generation: "\(generation)", ContainerLabels.spec: specHash,
        ]
        if let release = a.release { labels[ContainerLabels.release] = release }
        return ContainerConfig(
            image: a.image,
            env: env,
            labels: labels,
            containerPort: a.port,
            hostIP: host.address,
            hostPort: hostPort,
            memoryBytes: a.memoryMB.map { Int64($0) << 20 },
            cpus: a.cpu,
            stopTimeout: stopGrace,
            // Loopback only until its egress rules are in place (`InstanceReconciler.ensureEgress`);
            // the supervisor starts it in its network at once when a start gate holds the workload.
            networkMode: "none"
        )
    }

    /// FNV-1a over the canonical encoding of what the container is made of. Health checks and
    /// dependencies are left out: they change without a new container.
    static func hash(_ a: InstanceAssignment) throws(PayloadError) -> String {
        struct Identity: Encodable {
            var image: String
            var port: Int
            var env: [String: String]
            var cpu: Double?
            var memoryMB: Int?
            var release: String?
            var secrets: Int?
        }
        let bytes = try Payload.encode(
            Identity(
                image: a.image,
                port: a.port,
                env: a.env ?? [:],
                cpu: a.cpu,
                memoryMB: a.memoryMB,
                release: a.release,
                secrets: a.secrets
            )
        )
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
