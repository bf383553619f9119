import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient
import ZKModel

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an app's image from its source (a folder or a git repository) and follow the build.",
        discussion: """
            The source holds atlantis.yaml: the template (static, python, dockerfile, …), the command to run, \
            setup steps. Exit codes: 0 built, 9 failed, 10 cancelled, 2-6 as for apply.
            """,
        subcommands: [BuildStart.self, BuildLogs.self, BuildCancel.self],
        defaultSubcommand: BuildStart.self
    )
}

/// Where a build's source comes from, on the command line.
struct SourceOptions: ParsableArguments {
    @Option(help: "A folder to build: the tracked files of a git work tree, or every file.")
    var source: String?

    @Option(help: "A git repository to build, URL[#REF] (the builder resolves REF, default HEAD, to a commit).")
    var git: String?

    @Option(help: "With --git: the app's folder in the repository.")
    var path: String?

    var given: Bool { source != nil || git != nil }

    /// Uploads a folder, or names the repository; the build source to ask for.
    func resolve(app: String, client: ManagerClient, started: ContinuousClock.Instant) async throws -> BuildSource {
        switch (source, git) {
        case (let folder?, nil):
            let packed: (tar: [UInt8], files: Int, fromGit: Bool)
            do {
                packed = try SourcePacker.pack(folder)
            } catch {
                throw ValidationError("\(error)")
            }
            let uploaded = try await client.uploadSource(app: app, tar: packed.tar)
            progressLine(
                started,
                "uploaded \(packed.files) \(packed.fromGit ? "tracked " : "")files (\(packed.tar.count / 1024) KiB) as \(uploaded.digest.prefix(19))…"
            )
            return BuildSource(archive: .init(digest: uploaded.digest, size: uploaded.size))
        case (nil, let git?):
            let parts = git.split(separator: "#", maxSplits: 1).map(String.init)
            return BuildSource(git: .init(url: parts[0], ref: parts.count > 1 ? parts[1] : nil, path: path))
        default:
            throw ValidationError("give the source: --source DIR or --git URL[#REF]")
        }
    }
}

struct BuildStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Build an app (the default: `atlantis build APP --source DIR`)."
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The app.")
    var app: String?

    @OptionGroup var sourceOptions: SourceOptions

    @Option(help: "Build a Deploy's own build.git ref now (instead of waiting for the builder to see it move).")
    var trigger: String?

    @Flag(help: "Return once the build is asked for.")
    var noWait = false

    @Flag(help: "Show the phases only, not the build's log.")
    var quiet = false

    func run() async throws {
        let started = ContinuousClock.now
        try await manager.call { client in
            let build: BuildInfo
            if let trigger {
                build = try await client.triggerBuild(deploy: trigger)
            } else {
                guard let app else { throw ValidationError("name the app: atlantis build APP --source DIR") }
                build = try await client.build(
                    app: app,
                    source: try await sourceOptions.resolve(app: app, client: client, started: started)
                )
            }
            print("build \(build.id) of \(build.app): \(build.source.summary)")
            if noWait { return }
            let done = try await followBuild(client, id: build.id, started: started, showLog: !quiet)
            try finish(done)
        }
    }
}

/// Follows a build until it ends, printing its phases (and its log); returns its last state.
func followBuild(
    _ client: ManagerClient,
    id: String,
    started: ContinuousClock.Instant,
    showLog: Bool
) async throws -> BuildInfo {
    var phase: BuildPhase?
    var printed = 0
    var message: String?
    // A build the builder already made from the same inputs ends within milliseconds: look
    // again soon at first, then less often.
    var pause = Duration.milliseconds(5)
    var hinted = false
    while true {
        let build = try await client.build(id)
        if build.phase != phase {
            phase = build.phase
            progressLine(started, build.phase.rawValue + (build.attempt.map { $0 > 1 ? " (attempt \($0))" : "" } ?? ""))
        }
        if let text = build.message, text != message, !build.phase.isFinal {
            message = text
            progressLine(started, text)
        }
        if build.phase.isFinal { return build }
        if build.phase == .queued, !hinted, ContinuousClock.now - started > .seconds(15) {
            hinted = true
            progressLine(started, "still queued: is a builder running? (`atlantis builder`; `atlantis dev status`)")
        }
        if build.phase != .queued {
            // The log's stream ends when the build does: followed (shown or not) to wake at once.
            var seen = 0
            try? await client.buildLog(id, follow: true) { chunk in
                let bytes = Array(chunk.utf8)
                defer { seen += bytes.count }
                guard showLog else { return }
                guard seen + bytes.count > printed else { return }
                let fresh = bytes.suffix(seen + bytes.count - printed)
                print(
                    String(decoding: Data(fresh).prefixingLines(with: "    | "), as: UTF8.self),
                    terminator: ""
                )
                fflush(nil)
                printed = seen + bytes.count
            }
        }
        try await Task.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(50))
    }
}

/// Prints a finished build's outcome; failed and cancelled builds exit 9 and 10.
func finish(_ build: BuildInfo) throws {
    switch build.phase {
    case .succeeded:
        let what = build.reused == true ? "already built from the same inputs" : "built"
        print("build \(build.id) \(what): \(build.image ?? "")")
        if let provenance = build.provenance {
            let from =
                provenance.commit.map { "commit \($0.prefix(12))" } ?? provenance.sourceDigest.map {
                    "source \($0.prefix(19))"
                } ?? ""
            print(
                "  \(from), template \(provenance.template) v\(provenance.templateVersion), base \(provenance.baseImage ?? "-")"
            )
        }
    case .cancelled:
        print("build \(build.id) cancelled")
        throw ExitCode(10)
    default:
        print("build \(build.id) failed: \(build.message ?? "")")
        if let tail = build.logTail, !tail.isEmpty {
            print("last lines of its log:")
            print(tail.split(separator: "\n").suffix(15).map { "    | " + $0 }.joined(separator: "\n"))
        }
        throw ExitCode(9)
    }
}

extension Data {
    /// The text with `prefix` before every line.
    func prefixingLines(with prefix: String) -> Data {
        let text = String(decoding: self, as: UTF8.self)
        var out = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        {
            out += prefix + line + "\n"
        }
        return Data(out.utf8)
    }
}

struct BuildLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a build's log.")

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The build's id (see `atlantis builds APP`).")
    var id: String

    @Flag(name: [.short, .long], help: "Keep printing until the build ends.")
    var follow = false

    func run() async throws {
        try await manager.call { client in
            try await client.buildLog(id, follow: follow) { chunk in
                print(chunk, terminator: "")
                fflush(nil)
            }
        }
    }
}

struct BuildCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Stop a build.")

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The build's id.")
    var id: String

    func run() async throws {
        try await manager.call { client in
            let build = try await client.cancelBuild(id)
            print("build \(build.id): \(build.phase.isFinal ? build.phase.rawValue : "cancel asked for")")
        }
    }
}

struct BuildsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builds",
        abstract: "List an app's builds, newest first: commit, template, state, duration, image."
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The app.")
    var app: String

    @Option(help: "At most this many.")
    var limit: Int = 20

    @Option(name: [.short, .customLong("output")], help: "table or json.")
    var output: String = "table"

    func run() async throws {
        try await manager.call { client in
            let builds = try await client.builds(app: app, limit: limit)
            if output == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(BuildList(builds: builds)), as: UTF8.self))
                return
            }
            var rows = [["ID", "STATE", "COMMIT/SOURCE", "TEMPLATE", "DURATION", "REQUESTED BY", "IMAGE"]]
            for build in builds {
                let provenance = build.provenance
                let from =
                    provenance?.commit.map { String($0.prefix(12)) } ?? provenance?.sourceDigest.map {
                        String($0.prefix(19))
                    }
                    ?? build.source.summary
                let duration = provenance.map { String(format: "%.1fs", Double($0.durationMs) / 1000) } ?? "-"
                let state = build.phase.rawValue + (build.reused == true ? " (reused)" : "")
                rows.append([
                    build.id, state, from, provenance.map { "\($0.template) v\($0.templateVersion)" } ?? "-", duration,
                    build.requestedBy, build.image.map { String($0.split(separator: "@").last ?? "") } ?? "-",
                ])
            }
            printTable(rows)
        }
    }
}
