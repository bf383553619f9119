import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "An app's container output, merged across its instances in time order (its team and admins).",
        discussion: """
            Each line is prefixed with its time, zone and instance. With --follow it keeps going across a rolling \
            update: new instances join, old ones leave (each said on a line of its own). The manager relays the \
            output from the supervisors that run the instances (docs/logs.md).
            """
    )

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "The app.")
    var app: String

    @Option(help: "The environment.")
    var env: String

    @Option(help: "Only this instance (an id from `atlantis instances`).")
    var instance: String?

    @Flag(name: [.short, .long], help: "Keep printing new lines until interrupted.")
    var follow = false

    @Option(help: "Only lines from this long ago on (10m, 2h, 1d) or since a time (2026-12-03T14:00:00Z).")
    var since: String?

    @Option(help: "Only the last N lines (of all instances together) before following.")
    var tail: Int?

    @Flag(help: "No time at the start of each line.")
    var noTime = false

    func run() async throws {
        let (app, env, instance, since, tail, follow, noTime) = (
            self.app, self.env, self.instance, self.since, self.tail, self.follow, self.noTime
        )
        try await manager.call { client in
            try await client.logs(
                app: app,
                environment: env,
                instance: instance,
                since: since,
                tail: tail,
                follow: follow
            ) { entry in
                FileHandle.standardOutput.write(Data((Self.format(entry, time: !noTime) + "\n").utf8))
            }
        }
    }

    /// `2026-12-03T14:30:00.123Z zone-a/i-3f2a… | the line` (a notice: `-- …`).
    static func format(_ entry: LogEntry, time: Bool) -> String {
        let stamp = time ? String(entry.time.prefix(23)) + (entry.time.isEmpty ? "" : "Z ") : ""
        let origin = "\(entry.zone ?? "-")/\(entry.instance ?? "-")"
        if entry.notice == true { return "\(stamp)\(origin) -- \(entry.line)" }
        return "\(stamp)\(origin) | \(entry.line)"
    }
}
