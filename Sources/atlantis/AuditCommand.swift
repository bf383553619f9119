import ArgumentParser
import CLIOptions
import Foundation
import ManagerAPI
import ManagerClient
import ZKModel

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract:
            "Accepted writes, oldest first: when, who (caller, source), what (documents and their versions, releases).",
        discussion: "The manager keeps the newest 1000 records and none older than 30 days."
    )

    @OptionGroup var manager: ManagerOptions

    @Option(help: "Only writes that touch this app.")
    var app: String?

    @Option(help: "Only writes since this ISO 8601 time or age (90s, 10m, 2h, 7d).")
    var since: String?

    @Option(name: .shortAndLong, help: "table or json.")
    var output: String = "table"

    func validate() throws {
        guard ["table", "json"].contains(output) else { throw ValidationError("-o must be table or json") }
    }

    func run() async throws {
        let (app, since) = (self.app, self.since)
        let list = try await manager.call { client in try await client.audit(app: app, since: since) }
        if output == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(list), as: UTF8.self))
            return
        }
        if list.items.isEmpty {
            print("no audit records")
            return
        }
        for entry in list.items {
            let r = entry.record
            var what: String
            if let deploy = r.deploy, let to = r.to {
                what = "Deploy \"\(deploy)\" release \(r.from.map { "\($0) → " } ?? "")\(to)"
            } else {
                what = (r.changes ?? []).map { change in
                    let versions = "\(change.before.map(String.init) ?? "-")→\(change.after.map(String.init) ?? "-")"
                    return "\(change.action) \(change.kind) \"\(change.name)\" (\(versions))"
                }.joined(separator: ", ")
                if let more = r.more { what += ", and \(more) more" }
            }
            if let reason = r.reason { what += what.isEmpty ? reason : " (\(reason))" }
            print(
                "\(r.time)  \(r.action.padding(toLength: 8, withPad: " ", startingAt: 0))  \(r.source)  \(r.caller ?? "-")  \(what)"
            )
        }
    }
}
