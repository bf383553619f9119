import Foundation
import Hummingbird
import Manager
import ManagerAPI
import Secrets
import ZKModel

extension ManagerRoutes {
    /// `GET …/secrets`: names, revision and time of the last change; never a value.
    func listSecrets(_ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let env = try name(context.parameters.require("env"), of: "environment")
        let stored = try await run { () async throws(ManagerError) in
            try await manager.secrets(app: app, environment: env)
        }
        return try Reply.json(
            SecretsInfo(
                app: app,
                environment: env,
                names: stored?.set.entries.keys.sorted() ?? [],
                revision: stored?.set.revision ?? 0,
                updated: stored?.set.updated
            )
        )
    }

    /// `PUT …/secrets`: sealed with the cluster's key, written with a new release of the
    /// environment's Deploy.
    func changeSecrets(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let env = try name(context.parameters.require("env"), of: "environment")
        guard let box = secretBox else {
            throw Problem(
                .badRequest,
                "this manager holds no secrets key (atlantis manager --secrets-key-file): it cannot store secrets"
            )
        }
        let body = try await RequestBody.read(request, limit: 512 * 1024, maxNesting: 4).json()
            .decode(SecretsRequest.self, allowed: SecretsRequest.fields)
        let set = body.set ?? [:]
        let unset = body.unset ?? []
        guard !set.isEmpty || !unset.isEmpty else {
            throw Problem(.badRequest, "nothing to change: give set (NAME: value) or unset (names)")
        }
        for name in Set(set.keys).union(unset).sorted() {
            if let problem = SecretSet.checkName(name) { throw Problem(.badRequest, problem) }
        }
        for (name, value) in set where value.utf8.count > SecretSet.maxValueBytes {
            throw Problem(.badRequest, "\(name): a secret's value is at most \(SecretSet.maxValueBytes) bytes")
        }
        let source = try self.source(body.source ?? "cli")
        var sealed: [String: String] = [:]
        for (name, value) in set {
            sealed[name] = try box.seal(value, app: app, environment: env, name: name)
        }
        let summary =
            [
                set.isEmpty ? nil : "set \(set.keys.sorted().joined(separator: ", "))",
                unset.isEmpty ? nil : "unset \(unset.sorted().joined(separator: ", "))",
            ].compactMap { $0 }.joined(separator: "; ")
        let written = try await run { () async throws(ManagerError) in
            try await manager.changeSecrets(
                app: app,
                environment: env,
                source: source,
                summary: summary,
                change: { entries throws(ManagerError) in
                    var entries = entries
                    for name in unset { entries[name] = nil }
                    for (name, value) in sealed { entries[name] = value }
                    return entries
                },
                keyID: box.keyID
            )
        }
        return try Reply.json(
            SecretsInfo(
                app: app,
                environment: env,
                names: written.names,
                revision: written.revision,
                updated: nil,
                deploy: written.deploy,
                release: written.release
            )
        )
    }
}
