import Foundation
import Hummingbird
import Manager
import ManagerAPI
import ZKModel
import ZooKeeper

extension ManagerRoutes {
    func deploy(_ request: Request, _ context: ManagerRequestContext, scale: Bool) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let env = try name(context.parameters.require("env"), of: "environment")
        let value = try await RequestBody.read(
            request,
            limit: configuration.maxBodyBytes,
            maxNesting: configuration.maxNesting
        ).json()
        let written: Manager.Written
        if scale {
            let body = try value.decode(ScaleRequest.self, allowed: ScaleRequest.fields)
            let source = try body.source.map { try self.source($0) }
            written = try await changeInstances(app: app, environment: env, to: body.instances, source: source)
        } else {
            let body = try value.decode(DeployRequest.self, allowed: DeployRequest.fields)
            let source = try body.source.map { try self.source($0) }
            written = try await run { () async throws(ManagerError) in
                try await manager.changeDeploy(app: app, environment: env, source: source, action: "deploy") {
                    existing in
                    var spec = existing ?? DeploySpec(app: app, environment: env, instances: 1)
                    spec.image = body.image
                    spec.build = nil
                    if let instances = body.instances { spec.instances = instances }
                    return spec
                }
            }
        }
        return try Reply.json(
            DeployResult(deploy: written.deploy, generation: written.generation, release: written.release)
        )
    }

    /// Sets the environment's instances (a new Deploy when there is none): `POST …/scale`
    /// and the dashboard's Scale form.
    func changeInstances(
        app: String,
        environment env: String,
        to instances: Int,
        source: String?
    ) async throws
        -> Manager.Written
    {
        try await run { () async throws(ManagerError) in
            try await manager.changeDeploy(app: app, environment: env, source: source, action: "scale") { existing in
                var spec = existing ?? DeploySpec(app: app, environment: env, instances: instances)
                spec.instances = instances
                return spec
            }
        }
    }

    func teardown(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let env = try name(context.parameters.require("env"), of: "environment")
        let source = try source(request.uri.queryParameters["source"].map(String.init))
        let plan = try await run { () async throws(ManagerError) -> ApplyPlan in
            guard let existing = try await manager.deploy(app: app, environment: env) else {
                throw ManagerError(.notFound, "no Deploy runs \(app) in \(env)")
            }
            return try await manager.teardown(deploy: existing.document.name, source: source)
        }
        return try Reply.json(Self.result(plan, dryRun: false))
    }

    /// The Deploy's generation and current release, 404 when it does not exist.
    func target(_ deploy: String) async throws -> (generation: Int, release: Int) {
        try await run { () async throws(ManagerError) -> (Int, Int) in
            guard let stored = try await manager.get(.deploy, name: deploy).first else {
                throw ManagerError(.notFound, "Deploy \"\(deploy)\" does not exist")
            }
            return (stored.document.metadata.generation ?? 1, try await manager.currentRelease(deploy) ?? 0)
        }
    }

    func rollout(_ text: String) async throws -> Response {
        let deploy = try name(text, of: "deploy")
        let (generation, release) = try await target(deploy)
        let progress = try await read {
            try await watcher.look(deploy: deploy, release: release, generation: generation)
        }
        let outcome: RolloutState.Outcome
        switch progress.outcome {
        case .done?: outcome = .done
        case .rolledBack?: outcome = .rolledBack
        case .timedOut?, nil: outcome = .pending
        }
        return try Reply.json(
            RolloutState(
                deploy: deploy,
                release: release,
                generation: generation,
                line: progress.line,
                outcome: outcome
            )
        )
    }

    func releases(_ text: String) async throws -> Response {
        let deploy = try name(text, of: "deploy")
        let (releases, current) = try await run { () async throws(ManagerError) -> ([Release], Int?) in
            guard try await manager.get(.deploy, name: deploy).first != nil else {
                throw ManagerError(.notFound, "Deploy \"\(deploy)\" does not exist")
            }
            return (try await manager.releases(deploy), try await manager.currentRelease(deploy))
        }
        return try Reply.json(ReleaseHistory(current: current, releases: releases))
    }

    func undo(_ request: Request, deploy text: String) async throws -> Response {
        let deploy = try name(text, of: "deploy")
        let body = try await RequestBody.read(
            request,
            limit: configuration.maxBodyBytes,
            maxNesting: configuration.maxNesting
        ).json().decode(UndoRequest.self, allowed: UndoRequest.fields)
        let source = try source(request.uri.queryParameters["source"].map(String.init))
        let (release, generation) = try await run { () async throws(ManagerError) -> (Release, Int) in
            let release = try await manager.undo(deploy: deploy, to: body.to, from: body.from, source: source)
            let generation = try await manager.get(.deploy, name: deploy).first?.document.metadata.generation ?? 1
            return (release, generation)
        }
        return try Reply.json(
            DeployResult(deploy: deploy, generation: generation, release: release.number, image: release.image)
        )
    }

    func instances(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let app = try query["app"].map { try name(String($0), of: "app") }
        let env = try query["env"].map { try name(String($0), of: "environment") }
        let reports = try await read { try await watcher.reports(app: app, environment: env) }
        var list = InstanceList(
            items: reports.map { InstanceReport(id: $0.id, status: $0.status, confirmed: $0.confirmed) }
        )
        if let deploy = try query["deploy"].map({ try name(String($0), of: "deploy") }) {
            list.placed = try await read { try await zk.exists(tree.placement(deploy: deploy)) != nil }
        }
        return try Reply.json(list)
    }
}
