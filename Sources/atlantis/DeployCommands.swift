import ArgumentParser
import CLIOptions
import Foundation
import Manager
import ZKModel
import ZooKeeper

/// Which Deploy an app's environment means, and how a command waits for it.
struct DeployOptions: ParsableArguments {
    @Argument(help: "The app.")
    var app: String

    @Option(help: "The environment.")
    var env: String

    @Flag(help: "Return once the change is written, without waiting for the rollout.")
    var noWait = false

    @Option(help: "Seconds to wait for the rollout.")
    var waitTimeout: Int = 300

    /// The Deploy of this app and environment, if there is one.
    func find(_ manager: Manager) async throws(ManagerError) -> StoredDocument? {
        try await manager.get(.deploy).first { stored in
            guard let spec = try? stored.document.decodeSpec(DeploySpec.self) else { return false }
            return spec.app == app && spec.environment == env
        }
    }

    var defaultName: String { "\(app)-\(env)" }
}

/// Writes a Deploy through the manager, then follows the rollout until every router serves it.
func applyAndWait(
    _ cluster: ClusterOptions,
    _ options: DeployOptions,
    change: @escaping @Sendable (DeploySpec?) -> DeploySpec
) async throws {
    let started = ContinuousClock.now
    let (name, generation, release) = try await cluster.withManager {
        manager throws(ManagerError) -> (String, Int, Int) in
        let existing = try await options.find(manager)
        let name = existing?.document.name ?? options.defaultName
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
        let loaded = LoadedDocument(location: DocumentLocation(file: "command line", index: 1), value: document.json)
        try await manager.apply([loaded], options: .init(source: existing?.document.metadata.source ?? "cli"))
        let stored = try await manager.get(.deploy, name: name).first
        let release = try await manager.currentRelease(name) ?? 0
        return (name, stored?.document.metadata.generation ?? 1, release)
    }
    print("deploy \(name): generation \(generation), release \(release)")
    if options.noWait { return }
    try await follow(
        cluster,
        deploy: name,
        release: release,
        generation: generation,
        timeout: options.waitTimeout,
        started: started
    )
}

func follow(
    _ cluster: ClusterOptions,
    deploy: String,
    release: Int,
    generation: Int,
    timeout: Int,
    started: ContinuousClock.Instant
) async throws {
    let outcome = try await cluster.withZooKeeper { zk, tree in
        try await RolloutWatcher(zk: zk, tree: tree).waitRolledOut(
            deploy: deploy,
            release: release,
            generation: generation,
            timeout: .seconds(timeout)
        ) { line in
            print(String(format: "  %6.1fs  %@", (ContinuousClock.now - started) / .seconds(1), line))
        }
    }
    switch outcome {
    case .done:
        print(String(format: "deploy %@ rolled out in %.1f s", deploy, (ContinuousClock.now - started) / .seconds(1)))
    case .rolledBack(let message):
        print("deploy \(deploy) rolled back: \(message)")
        throw ExitCode(7)
    case .timedOut(let last):
        print("deploy \(deploy) not rolled out after \(timeout) s: \(last)")
        throw ExitCode(8)
    }
}

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract:
            "Run an image for an app's environment (creating or updating its Deploy) and wait until every router serves it.",
        discussion: "Exit codes: 0 rolled out, 7 rolled back automatically, 8 timed out, 2-6 as for apply."
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var options: DeployOptions

    @Option(help: "The image, e.g. 127.0.0.1:5000/atlantis/sample:v2.")
    var image: String

    @Option(help: "Instances (default: unchanged, 1 for a new Deploy).")
    var instances: Int?

    func run() async throws {
        let (image, instances, app, env) = (self.image, self.instances, options.app, options.env)
        try await applyAndWait(cluster, options) { existing in
            var spec = existing ?? DeploySpec(app: app, environment: env, instances: 1)
            spec.image = image
            spec.build = nil
            if let instances { spec.instances = instances }
            return spec
        }
    }
}

struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Change how many instances an app's environment runs, and wait until they serve."
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var options: DeployOptions

    @Option(help: "Instances.")
    var instances: Int

    func run() async throws {
        let instances = self.instances
        let (app, env) = (options.app, options.env)
        try await applyAndWait(cluster, options) { existing in
            var spec = existing ?? DeploySpec(app: app, environment: env, instances: instances)
            spec.instances = instances
            return spec
        }
    }
}

struct TeardownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove an app's environment: its Deploy and the Routes to it; wait until no instance is left."
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var options: DeployOptions

    func run() async throws {
        let started = ContinuousClock.now
        let name = try await cluster.withManager { manager throws(ManagerError) -> String in
            guard let existing = try await options.find(manager) else {
                throw ManagerError(.notFound, "no Deploy runs \(options.app) in \(options.env)")
            }
            let plan = try await manager.teardown(deploy: existing.document.name)
            for action in plan.actions { print("deleted \(action.key)") }
            return existing.document.name
        }
        if options.noWait { return }
        let (app, env) = (options.app, options.env)
        let outcome = try await cluster.withZooKeeper { zk, tree in
            try await RolloutWatcher(zk: zk, tree: tree).waitTornDown(
                deploy: name,
                app: app,
                environment: env,
                timeout: .seconds(options.waitTimeout)
            ) { line in print(String(format: "  %6.1fs  %@", (ContinuousClock.now - started) / .seconds(1), line)) }
        }
        guard outcome == .done else { throw ExitCode(8) }
        print("\(app) \(env) torn down")
    }
}
