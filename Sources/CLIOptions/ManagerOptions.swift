import AgentOptions
public import ArgumentParser
import Foundation
public import Logging
public import ManagerAPI
public import ManagerClient

/// How a user command reaches the manager: `--manager`, else `$ATLANTIS_MANAGER`, else the
/// current context (`atlantis config use-context`), else the local one on 127.0.0.1:8090.
public struct ManagerOptions: ParsableArguments {
    @Option(
        help: "The manager's URL (default: $ATLANTIS_MANAGER, else the current context, else http://127.0.0.1:8090)."
    )
    public var manager: String?

    @Option(help: "A context of the config file to use instead of the current one.")
    public var context: String?

    @Option(
        help:
            "A region of the catalog (`atlantis config view`): its manager, with its context's token. `get`, `instances` and `rollout status` also take `all` or r1,r2."
    )
    public var region: String?

    @Option(help: "Seconds to wait for each answer of the manager.")
    public var timeout: Int = 60

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .warning

    public init() {}

    public static let defaultURL = "http://127.0.0.1:8090"

    /// The URL and token this command uses.
    public func resolve() throws -> (url: String, token: String?) {
        let environment = ProcessInfo.processInfo.environment
        // A URL given explicitly takes $ATLANTIS_TOKEN, else the token of a context for that URL.
        func token(for url: String) throws -> String? {
            if let token = environment["ATLANTIS_TOKEN"], !token.isEmpty { return token }
            return try ClientConfig.load().contexts.first { $0.manager == url && $0.token != nil }?.token
        }
        if let manager { return (manager, try token(for: manager)) }
        if let region {
            let config = try ClientConfig.load()
            let chosen = try RegionSelection(region, catalog: config.regions ?? []).regions
            guard chosen.count == 1, let one = chosen.first else {
                throw ConfigError("--region \(region): this command acts on one region; name one")
            }
            return (one.manager, config.token(for: one))
        }
        if let context {
            let config = try ClientConfig.load()
            guard let found = config.contexts.first(where: { $0.name == context }) else {
                throw ConfigError("no context \"\(context)\" in \(ClientConfig.path) (see `atlantis config view`)")
            }
            return (found.manager, found.token)
        }
        if let url = environment["ATLANTIS_MANAGER"], !url.isEmpty { return (url, try token(for: url)) }
        if let current = try ClientConfig.load().current { return (current.manager, current.token) }
        return (Self.defaultURL, try token(for: Self.defaultURL))
    }

    /// Keeps `token` (nil: forgets it) in the context this command uses: `--context`, else the
    /// current one, else one made for the manager's URL (and made current). Its name.
    @discardableResult
    public func saveToken(_ token: String?) throws -> String {
        var config = try ClientConfig.load()
        let url = try resolve().url
        let name: String
        if let context {
            name = context
        } else if manager == nil, let current = config.current,
            ProcessInfo.processInfo.environment["ATLANTIS_MANAGER"] == nil
        {
            name = current.name
        } else if let existing = config.contexts.first(where: { $0.manager == url }) {
            name = existing.name
        } else {
            name =
                config.contexts.contains(where: { $0.name == "default" })
                ? "manager-\(config.contexts.count + 1)" : "default"
        }
        let found = config.contexts.first { $0.name == name }
        config.set(ClientConfig.Context(name: name, manager: found?.manager ?? url, token: token))
        if config.currentContext == nil { config.currentContext = name }
        try config.save()
        return name
    }

    /// The same options aimed at one region of the catalog.
    public func aimed(at region: Region) -> ManagerOptions {
        var copy = self
        copy.manager = region.manager
        copy.context = nil
        copy.region = nil
        return copy
    }

    /// The regions `--region` names (nil without it).
    public func selectedRegions() throws -> [Region]? {
        guard let region else { return nil }
        return try RegionSelection(region, catalog: ClientConfig.load().regions ?? []).regions
    }

    /// Runs `body` once per region `--region` names (each with a heading line when there are
    /// several), or once without it; the worst exit code wins, after every region was asked.
    public func eachRegion(_ body: (ManagerOptions) async throws -> Void) async throws {
        let regions: [Region]
        do {
            guard let selected = try selectedRegions() else { return try await body(self) }
            regions = selected
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if regions.count == 1, let only = regions.first { return try await body(aimed(at: only)) }
        var worst: Int32 = 0
        for region in regions {
            print("== region \(region.name) (\(region.manager))")
            do {
                try await body(aimed(at: region))
            } catch let code as ExitCode {
                worst = max(worst, code.rawValue)
            }
        }
        if worst != 0 { throw ExitCode(worst) }
    }

    public func validate() throws {
        if let manager, URL(string: manager)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            throw ValidationError("--manager must be an http:// or https:// URL, e.g. \(Self.defaultURL)")
        }
    }

    /// A client for the manager, and failures mapped to the exit codes (printed on stderr).
    public func call<T>(_ body: (ManagerClient) async throws -> T) async throws -> T {
        LogOutput.bootstrap(level: logLevel)
        let client: ManagerClient
        do {
            let (url, token) = try resolve()
            client = ManagerClient(baseURL: url, http: ManagerClient.failFast, timeout: .seconds(timeout), token: token)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        do {
            return try await body(client)
        } catch let problem as Problem {
            throw fail(problem)
        }
    }

    /// Prints the problem and gives the exit code that stands for it.
    public func fail(_ problem: Problem) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(problem.description)\n".utf8))
        return ExitCode(problem.code.exitCode)
    }
}
