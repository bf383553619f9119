import Secrets
import ZKModel
import ZooKeeper

extension InstanceReconciler {
    struct SecretsUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// The environment's secrets as `NAME=value`, opened for the container about to be created
    /// (never logged, never in a status). The stored set must be at least the revision the
    /// release names (a newer one is what the manager holds now).
    func secretEnvironment(_ assignment: InstanceAssignment, revision: Int) async throws -> [String] {
        guard let box = configuration.secretBox else {
            throw SecretsUnavailable(
                description:
                    "the instance has secrets and this supervisor holds no secrets key (--secrets-key-file)"
            )
        }
        let path = tree.secrets(app: assignment.app, environment: assignment.environment)
        let data: [UInt8]
        do {
            (data, _) = try await statuses.zk.getData(path)
        } catch let error as ZooKeeperError where error.code == .noNode {
            throw SecretsUnavailable(description: "the secrets of \(assignment.app)/\(assignment.environment) are gone")
        }
        let set = try Payload.decode(SecretSet.self, from: data, path: path)
        guard set.revision >= revision else {
            throw SecretsUnavailable(
                description: "secrets revision \(set.revision) is older than the release's \(revision): retrying"
            )
        }
        return try box.environment(of: set)
    }
}
