public import ZKModel

extension Manager {
    /// What a deploy, scale or undo wrote.
    public struct Written: Sendable, Hashable {
        public var deploy: String
        public var generation: Int
        public var release: Int
    }

    /// The Deploy that runs `app` in `environment`, if there is one.
    public func deploy(app: String, environment: String) async throws(ManagerError) -> StoredDocument? {
        try await get(.deploy).first { stored in
            guard let spec = try? stored.document.decodeSpec(DeploySpec.self) else { return false }
            return spec.app == app && spec.environment == environment
        }
    }

    /// Creates or changes the Deploy of an app's environment (named `app-environment` when new)
    /// through the same validation and transaction as `apply`.
    public func changeDeploy(
        app: String,
        environment: String,
        source: String? = nil,
        action: String = "apply",
        change: (DeploySpec?) -> DeploySpec
    ) async throws(ManagerError) -> Written {
        let existing = try await deploy(app: app, environment: environment)
        let name = existing?.document.name ?? "\(app)-\(environment)"
        let spec = change(try? existing?.document.decodeSpec(DeploySpec.self))
        let specValue: JSONValue
        do {
            specValue = try JSONValue.parse(String(decoding: Payload.encode(spec), as: UTF8.self))
        } catch {
            throw ManagerError(.invalidInput, "cannot encode the Deploy: \(error)")
        }
        var metadata = existing?.document.metadata ?? Document.Metadata(name: name)
        metadata.generation = nil
        let document = Document(kind: .deploy, metadata: metadata, spec: specValue)
        let loaded = LoadedDocument(
            location: DocumentLocation(file: "request", index: 1),
            value: document.json,
            expectedVersion: existing?.version
        )
        let writer = source ?? existing?.document.metadata.source ?? "cli"
        try await apply([loaded], options: .init(source: writer, action: action))
        let stored = try await get(.deploy, name: name).first
        return Written(
            deploy: name,
            generation: stored?.document.metadata.generation ?? 1,
            release: try await currentRelease(name) ?? 0
        )
    }
}
