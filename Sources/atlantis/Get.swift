import ArgumentParser
import CLIOptions
import Foundation
import Manager
import ManagerAPI
import ManagerClient
import ZKModel

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show documents of one kind, or one document.")

    @OptionGroup var manager: ManagerOptions

    @Argument(help: "apps, deploys, services, routes, zones, teams, or gitops (the pull jobs' reports).")
    var kind: String

    @Argument(help: "The document's name; all of the kind when omitted.")
    var name: String?

    @Option(name: .shortAndLong, help: "table, json or yaml.")
    var output: DocumentFormatter.Format = .table

    func validate() throws {
        if kind != "gitops" { _ = try kindArgument(kind) }
    }

    func run() async throws {
        try await manager.eachRegion { try await show($0) }
    }

    private func show(_ manager: ManagerOptions) async throws {
        if kind == "gitops" { return try await gitOps(manager) }
        let kind = try kindArgument(kind)
        let (name, table) = (self.name, output == .table)
        let items = try await manager.call { client in
            if let name { return [try await client.get(kind, name, status: table)] }
            return try await client.list(kind, status: table)
        }
        if items.isEmpty && table {
            print("no \(kind.plural)")
            return
        }
        var statuses: [DocumentKey: ObjectStatus] = [:]
        let documents = items.compactMap { item -> StoredDocument? in
            guard let stored = item.stored else { return nil }
            if let status = item.status { statuses[stored.document.key] = status }
            return stored
        }
        print(DocumentFormatter.render(documents, format: output, single: name != nil, statuses: statuses))
    }
}

extension Get {
    /// `atlantis get gitops [NAME]`: what each pull job last reported.
    func gitOps(_ manager: ManagerOptions) async throws {
        let name = self.name
        let items = try await manager.call { client in
            if let name { return [try await client.gitOps(name)] }
            return try await client.gitOps()
        }
        if output != .table {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(name == nil ? items : Array(items.prefix(1))), as: UTF8.self))
            return
        }
        if items.isEmpty {
            print("no gitops jobs have reported")
            return
        }
        var rows = [["NAME", "REPO", "REF", "PATH", "COMMIT", "SYNCED", "DRIFT", "LAST ERROR"]]
        for s in items {
            rows.append([
                s.name, s.repo, s.ref, s.path, String(s.commit?.prefix(12) ?? "-"), s.syncedAt ?? "-",
                s.drift.isEmpty ? "none" : s.drift.joined(separator: ", "), s.lastError ?? "",
            ])
        }
        printTable(rows)
    }
}
