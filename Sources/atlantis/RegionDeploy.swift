import ArgumentParser
import CLIOptions
import Docker
import Foundation
import ManagerAPI
import ManagerClient
import ZKModel

/// What a multi-region deploy does when a region fails (cannot be reached, is rolled back
/// automatically, or times out).
enum OnFailure: String, ExpressibleByArgument, Sendable {
    /// Stop there: the regions done keep the new release; the rest wait for a resumed deploy.
    case stop
    /// Also move every region already done back to its previous release.
    case rollback
}

/// `atlantis deploy APP --env E --regions …`: one image digest, region by region through each
/// region's own manager; the first region alone (the canary), then `parallel` at a time. Every
/// step is saved (`RegionDeployState`), so the same command run again resumes.
struct RegionDeploy: Sendable {
    var app: String
    var environment: String
    var instances: Int?
    var regions: [Region]
    var config: ClientConfig
    var onFailure: OnFailure
    var parallel: Int
    var imageTimeout: Int
    var waitTimeout: Int
    var requestTimeout: Int

    /// The digest of `image` in the builder region's registry (which the others mirror).
    static func resolve(_ image: ImageReference, builder: Region) async throws -> ImageReference {
        guard image.registry == builder.registry else {
            throw RegionDeployError(
                "\(image) is not in the builder region's registry (\(builder.registry), region \(builder.name)), which the other regions' registries mirror: push it there, or build it with --source"
            )
        }
        if let digest = image.digest { return image.pinned(registry: builder.registry, digest: digest) }
        let tag = image.tag ?? "latest"
        let found: String?
        do {
            found = try await RegistryClient(address: builder.registry)
                .manifestDigest(repository: image.repository, reference: tag)
        } catch {
            throw RegionDeployError("cannot look up \(image) in region \(builder.name)'s registry: \(error)")
        }
        guard let digest = found, ImageReference.isDigest(digest) else {
            throw RegionDeployError(
                "no image \(image.repository):\(tag) in \(builder.registry) (region \(builder.name))"
            )
        }
        return image.pinned(registry: builder.registry, digest: digest)
    }

    func run(image: ImageReference, started: ContinuousClock.Instant) async throws {
        guard let digest = image.digest else { throw RegionDeployError("\(image) is not pinned to a digest") }
        let (initial, resumed) = RegionDeployState.resuming(
            RegionDeployState.load(app: app, environment: environment),
            app: app,
            environment: environment,
            repository: image.repository,
            digest: digest,
            regions: regions.map(\.name),
            now: Date().formatted(.iso8601)
        )
        let book = StateBook(initial)
        try await book.save()
        if resumed {
            let done = initial.entries.filter { $0.step == .done }.map(\.region)
            print(
                "resuming the deploy of \(digest) started \(initial.startedAt)\(done.isEmpty ? "" : "; done in \(done.joined(separator: ", "))")"
            )
        }
        print(
            "deploying \(image.repository)@\(digest) to \(regions.map(\.name).joined(separator: ", ")) (canary: \(regions[0].name), then \(parallel) at a time)"
        )
        var failed: [String] = []
        var waves: [[Region]] = [[regions[0]]]
        var rest = Array(regions.dropFirst())
        while !rest.isEmpty {
            waves.append(Array(rest.prefix(parallel)))
            rest.removeFirst(min(parallel, rest.count))
        }
        for wave in waves {
            let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
                for region in wave {
                    group.addTask {
                        let ok = await ProgressLabel.$region.withValue(region.name) {
                            await deploy(region, image: image, book: book, started: started)
                        }
                        return (region.name, ok)
                    }
                }
                var all: [(String, Bool)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            failed += outcomes.filter { !$0.1 }.map(\.0)
            if !failed.isEmpty { break }
        }
        if !failed.isEmpty, onFailure == .rollback {
            for region in regions.reversed() where await book.state.entry(region.name)?.step == .done {
                await ProgressLabel.$region.withValue(region.name) {
                    await rollBack(region, book: book, started: started)
                }
            }
        }
        let state = await book.state
        summary(state)
        if failed.isEmpty {
            state.remove()
            print(
                String(
                    format: "deployed to %d region%@ in %.1f s",
                    regions.count,
                    regions.count == 1 ? "" : "s",
                    elapsed(started)
                )
            )
            return
        }
        let pending = state.entries.filter { $0.step != .done }.map(\.region)
        print(
            "not deployed in \(pending.joined(separator: ", ")): run the same command again to resume (saved in \(RegionDeployState.path(app: app, environment: environment)))"
        )
        throw ExitCode(9)
    }

    private func client(_ region: Region) -> ManagerClient {
        ManagerClient(
            baseURL: region.manager,
            http: ManagerClient.failFast,
            timeout: .seconds(requestTimeout),
            token: config.token(for: region)
        )
    }

    /// One region: its manager says it is that region, the image is waited for in its registry,
    /// then deployed there by digest and followed until every router serves it. Whether it is done.
    private func deploy(
        _ region: Region,
        image: ImageReference,
        book: StateBook,
        started: ContinuousClock.Instant
    ) async -> Bool {
        if let entry = await book.state.entry(region.name), entry.step == .done {
            progressLine(started, "already on release \(entry.release.map(String.init) ?? "?")")
            return true
        }
        let client = client(region)
        let pinned = image.pinned(registry: region.registry, digest: image.digest ?? "")
        do {
            let health = try await client.health()
            if let served = health.region, served != region.name {
                throw RegionDeployError(
                    "the manager at \(region.manager) serves region \(served), not \(region.name): fix the catalog (`atlantis config set-region`)"
                )
            }
            if await book.state.entry(region.name)?.release == nil {
                let previous: Int?
                do {
                    previous = try await client.releases("\(app)-\(environment)").current
                } catch let problem as Problem where problem.code == .notFound {
                    previous = nil
                }
                try await book.update(region.name) { $0.previous = previous }
            }
            try await waitForImage(pinned, in: region, started: started)
            let result = try await client.deploy(
                app: app,
                environment: environment,
                DeployRequest(image: pinned.description, instances: instances)
            )
            try await book.update(region.name) { $0.release = result.release }
            progressLine(started, "deploy \(result.deploy): release \(result.release) (\(pinned))")
            try await follow(
                client,
                deploy: result.deploy,
                release: result.release,
                timeout: waitTimeout,
                started: started
            )
            try await book.update(region.name) {
                $0.step = .done
                $0.message = nil
            }
            return true
        } catch {
            let message: String
            switch error {
            case let code as ExitCode where code.rawValue == 7:
                message = "rolled back automatically (not healthy in time)"
            case let code as ExitCode where code.rawValue == 8: message = "not rolled out after \(waitTimeout) s"
            case let code as ExitCode: message = "failed (exit \(code.rawValue))"
            default: message = "\(error)"
            }
            progressLine(started, "FAILED: \(message)")
            try? await book.update(region.name) {
                $0.step = .failed
                $0.message = message
            }
            return false
        }
    }

    /// Waits until the region's registry has the digest (a mirror fetches it from the builder
    /// region's registry on the first ask): an image not there yet is waited for, not a failure.
    private func waitForImage(
        _ pinned: ImageReference,
        in region: Region,
        started: ContinuousClock.Instant
    )
        async throws
    {
        let registry = RegistryClient(address: region.registry)
        let deadline = ContinuousClock.now + .seconds(imageTimeout)
        var said = false
        while true {
            var why = "not there yet"
            do {
                if try await registry.manifestDigest(repository: pinned.repository, reference: pinned.digest ?? "")
                    != nil
                {
                    if said { progressLine(started, "image in \(region.registry)") }
                    return
                }
            } catch {
                why = "\(error)"
            }
            if !said {
                progressLine(started, "waiting for \(pinned) (\(why))")
                said = true
            }
            guard ContinuousClock.now < deadline else {
                throw RegionDeployError("\(pinned) not in \(region.registry) after \(imageTimeout) s (\(why))")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Moves a region that was done back to the release it had before this deploy.
    private func rollBack(_ region: Region, book: StateBook, started: ContinuousClock.Instant) async {
        guard let entry = await book.state.entry(region.name), let release = entry.release else { return }
        guard let previous = entry.previous else {
            progressLine(
                started,
                "the Deploy was new here: left running (`atlantis teardown \(app) --env \(environment) --region \(region.name)`)"
            )
            return
        }
        let client = client(region)
        do {
            let result = try await client.undo("\(app)-\(environment)", UndoRequest(to: previous, from: release))
            progressLine(started, "rolling back to release \(result.release)")
            try await follow(
                client,
                deploy: result.deploy,
                release: result.release,
                timeout: waitTimeout,
                started: started
            )
            try await book.update(region.name) {
                $0.step = .rolledBack
                $0.message = "back on release \(previous)"
            }
        } catch {
            progressLine(
                started,
                "ROLLBACK FAILED: \(error); run `atlantis rollout undo \(app)-\(environment) --to \(previous) --region \(region.name)`"
            )
            try? await book.update(region.name) { $0.message = "rollback failed: \(error)" }
        }
    }

    private func summary(_ state: RegionDeployState) {
        var rows = [["REGION", "STATE", "PREVIOUS", "RELEASE", "MESSAGE"]]
        for entry in state.entries where regions.contains(where: { $0.name == entry.region }) {
            rows.append([
                entry.region, entry.step.rawValue, entry.previous.map(String.init) ?? "-",
                entry.release.map(String.init) ?? "-", entry.message ?? "",
            ])
        }
        printTable(rows)
    }
}

/// The deploy's state, saved after every change (regions may be deployed at once).
actor StateBook {
    private(set) var state: RegionDeployState

    init(_ state: RegionDeployState) {
        self.state = state
    }

    func update(_ region: String, _ change: @Sendable (inout RegionDeployState.Entry) -> Void) throws {
        state.update(region, change)
        try state.save()
    }

    func save() throws {
        try state.save()
    }
}

/// Why a multi-region deploy cannot go on; the message says what to fix.
struct RegionDeployError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
