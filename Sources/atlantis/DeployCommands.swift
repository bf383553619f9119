import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient
import ZKModel

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

    /// Makes the change (`deploy` or `scale`), prints what it wrote, and follows the rollout.
    func write(
        _ manager: ManagerOptions,
        started: ContinuousClock.Instant,
        _ change: (ManagerClient) async throws -> DeployResult
    ) async throws {
        try await manager.call { client in
            let result = try await change(client)
            print("deploy \(result.deploy): generation \(result.generation), release \(result.release)")
            if noWait { return }
            try await follow(
                client,
                deploy: result.deploy,
                release: result.release,
                timeout: waitTimeout,
                started: started
            )
        }
    }
}

/// Follows a Deploy's event stream until `release` is served by every router (exit 0), it is
/// rolled back (exit 7) or `timeout` passes (exit 8).
func follow(
    _ client: ManagerClient,
    deploy: String,
    release: Int,
    timeout: Int,
    started: ContinuousClock.Instant
) async throws {
    enum End: Sendable {
        case done
        case rolledBack(String)
        case timedOut, deleted
    }
    let last = LastLine()
    let end: End = try await withThrowingTaskGroup(of: End.self) { group in
        group.addTask {
            var end = End.timedOut
            try await client.follow(deploy: deploy) { event in
                switch event.kind {
                case .release:
                    if let number = event.release, number >= release {
                        progressLine(started, "release \(number): \(event.image ?? "") (\(event.cause ?? ""))")
                    }
                    return true
                case .progress, .done, .rolledBack:
                    if let line = event.line, await last.set(line) { progressLine(started, line) }
                    guard (event.release ?? 0) >= release else { return true }
                    if event.kind == .done {
                        end = .done
                        return false
                    }
                    if event.kind == .rolledBack {
                        end = .rolledBack(event.line ?? "")
                        return false
                    }
                    return true
                case .deleted:
                    end = .deleted
                    return false
                }
            }
            return end
        }
        group.addTask {
            try await Task.sleep(for: .seconds(timeout))
            return .timedOut
        }
        defer { group.cancelAll() }
        return try await group.next() ?? .timedOut
    }
    switch end {
    case .done:
        print(String(format: "deploy %@ rolled out in %.1f s", deploy, elapsed(started)))
    case .rolledBack(let message):
        print("deploy \(deploy) rolled back: \(message)")
        throw ExitCode(7)
    case .timedOut:
        print("deploy \(deploy) not rolled out after \(timeout) s: \(await last.line)")
        throw ExitCode(8)
    case .deleted:
        print("deploy \(deploy) was deleted")
        throw ExitCode(5)
    }
}

/// The last progress line printed.
actor LastLine {
    var line = ""
    /// Whether `line` is new.
    func set(_ new: String) -> Bool {
        defer { line = new }
        return new != line
    }
}

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract:
            "Run an image for an app's environment (creating or updating its Deploy) and wait until every router serves it.",
        discussion:
            "Exit codes: 0 rolled out, 7 rolled back automatically, 8 timed out, 9 not deployed in every region of --regions (run it again to resume), 2-6 as for apply."
    )

    @OptionGroup var manager: ManagerOptions
    @OptionGroup var options: DeployOptions

    @Option(help: "The image, e.g. 127.0.0.1:5000/atlantis/sample:v2 (or build one with --source / --git).")
    var image: String?

    @OptionGroup var sourceOptions: SourceOptions

    @Option(help: "Instances (default: unchanged, 1 for a new Deploy).")
    var instances: Int?

    @Option(
        help:
            "Deploy to several regions of the catalog, one digest everywhere: all, or r1,r2 (that order; the first is the canary)."
    )
    var regions: String?

    @Option(help: "With --regions: how many regions at once after the canary.")
    var parallel = 1

    @Option(
        help: "With --regions: when a region fails, stop (the others keep the new release) or rollback the ones done."
    )
    var onFailure: OnFailure = .stop

    @Option(help: "With --regions: seconds to wait for the image to reach a region's registry.")
    var imageTimeout = 600

    func validate() throws {
        if regions != nil && (manager.manager != nil || manager.region != nil || manager.context != nil) {
            throw ValidationError(
                "--regions picks the managers from the catalog: leave out --manager, --region and --context"
            )
        }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard (image != nil) != sourceOptions.given else {
            throw ValidationError(
                "give what to run: --image IMAGE, or --source DIR / --git URL[#REF] to build it first"
            )
        }
    }

    func run() async throws {
        if let regions { return try await runRegions(regions) }
        let started = ContinuousClock.now
        let options = self.options
        var image = self.image
        if image == nil {
            // Build first (Heroku's `git push`): the release pins the digest the build recorded.
            image = try await manager.call { client in
                let source = try await sourceOptions.resolve(app: options.app, client: client, started: started)
                let build = try await client.build(app: options.app, source: source)
                progressLine(started, "build \(build.id) of \(build.app)")
                let done = try await followBuild(client, id: build.id, started: started, showLog: false)
                try finish(done)
                return done.image
            }
        }
        let request = DeployRequest(image: image ?? "", instances: instances)
        try await options.write(manager, started: started) { client in
            try await client.deploy(app: options.app, environment: options.env, request)
        }
    }
}

extension DeployCommand {
    /// `--regions`: the image (built first in the builder region with --source) pinned to its
    /// digest, then deployed region by region.
    func runRegions(_ names: String) async throws {
        let started = ContinuousClock.now
        let options = self.options
        let config: ClientConfig
        let chosen: [Region]
        let builder: Region
        do {
            config = try ClientConfig.load()
            chosen = try RegionSelection(names, catalog: config.regions ?? []).regions
            builder = try RegionSelection.builder(in: config.regions ?? [])
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var text = self.image
        if text == nil {
            text = try await manager.aimed(at: builder).call { client in
                let source = try await sourceOptions.resolve(app: options.app, client: client, started: started)
                let build = try await client.build(app: options.app, source: source)
                progressLine(started, "build \(build.id) of \(build.app) in region \(builder.name)")
                let done = try await followBuild(client, id: build.id, started: started, showLog: false)
                try finish(done)
                return done.image
            }
        }
        do {
            guard let text, let reference = ImageReference(text) else {
                throw RegionDeployError(
                    "\(text ?? "") is not an image reference ([registry/]repository[:tag][@sha256:…])"
                )
            }
            let image = try await RegionDeploy.resolve(reference, builder: builder)
            let deploy = RegionDeploy(
                app: options.app,
                environment: options.env,
                instances: instances,
                regions: chosen,
                config: config,
                onFailure: onFailure,
                parallel: parallel,
                imageTimeout: imageTimeout,
                waitTimeout: options.waitTimeout,
                requestTimeout: manager.timeout
            )
            try await deploy.run(image: image, started: started)
        } catch let error as RegionDeployError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Change how many instances an app's environment runs, and wait until they serve."
    )

    @OptionGroup var manager: ManagerOptions
    @OptionGroup var options: DeployOptions

    @Option(help: "Instances.")
    var instances: Int

    func run() async throws {
        let started = ContinuousClock.now
        let request = ScaleRequest(instances: instances)
        let options = self.options
        try await options.write(manager, started: started) { client in
            try await client.scale(app: options.app, environment: options.env, request)
        }
    }
}

struct TeardownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove an app's environment: its Deploy and the Routes to it; wait until no instance is left."
    )

    @OptionGroup var manager: ManagerOptions
    @OptionGroup var options: DeployOptions

    func run() async throws {
        let started = ContinuousClock.now
        let options = self.options
        try await manager.call { client in
            let result = try await client.teardown(app: options.app, environment: options.env)
            for change in result.changes { print("deleted \(change.key)") }
            guard !options.noWait else { return }
            let deploy = result.changes.first { $0.kind == .deploy }?.name ?? "\(options.app)-\(options.env)"
            let deadline = ContinuousClock.now + .seconds(options.waitTimeout)
            var last = ""
            while true {
                let list = try await client.instances(app: options.app, environment: options.env, deploy: deploy)
                let left = list.items.count
                let done = left == 0 && list.placed != true
                let line = done ? "no instance left" : "\(left) instance\(left == 1 ? "" : "s") still running"
                if line != last {
                    progressLine(started, line)
                    last = line
                }
                if done { break }
                if ContinuousClock.now > deadline { throw ExitCode(8) }
                try await Task.sleep(for: .milliseconds(100))
            }
            print("\(options.app) \(options.env) torn down")
        }
    }
}
