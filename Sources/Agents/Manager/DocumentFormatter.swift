import Foundation
import YAMLValue
public import ZKModel

/// How documents are printed by `get` and `diff`.
public enum DocumentFormatter {
    public enum Format: String, CaseIterable, Sendable {
        case table, json, yaml
    }

    public static func render(
        _ documents: [StoredDocument],
        format: Format,
        single: Bool,
        statuses: [DocumentKey: ObjectStatus] = [:]
    ) -> String {
        switch format {
        case .json:
            if single, let only = documents.first { return only.document.json.encoded(pretty: true) }
            return JSONValue.array(documents.map(\.document.json)).encoded(pretty: true)
        case .yaml:
            return documents.map { YAMLConversion.yaml(from: $0.document.json) }.joined(separator: "---\n")
        case .table:
            var rows = [["KIND", "NAME", "GENERATION", "SOURCE", "UPDATED", "READY", "OBSERVED", "MESSAGE"]]
            let formatter = ISO8601DateFormatter()
            for stored in documents {
                let d = stored.document
                let updated = formatter.string(from: Date(timeIntervalSince1970: Double(stored.modified) / 1000))
                let status = statuses[d.key]
                let ready = status?.condition(.ready)
                let readyText = ready.map { $0.status == "True" ? "True" : "\($0.status) (\($0.reason))" } ?? "-"
                let observed = status.map { String($0.observedGeneration) } ?? "-"
                let message = status?.lastError.map { "error: \($0)" } ?? ready?.message ?? ""
                rows.append([
                    d.kind.rawValue, d.name, String(d.metadata.generation ?? 0), d.metadata.source ?? "-", updated,
                    readyText, observed, message,
                ])
            }
            return table(rows)
        }
    }

    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }

    /// What a plan would change, as a readable diff.
    public static func describe(_ plan: ApplyPlan, unchangedToo: Bool = false) -> String {
        var out: [String] = []
        for action in plan.actions.sorted(by: { $0.key < $1.key }) {
            switch action {
            case .create(let d):
                out.append("+ create \(d.key)")
                out += pretty(d).split(separator: "\n").map { "    + " + $0 }
            case .update(let from, let to):
                out.append("~ update \(to.key) (generation \(from.document.metadata.generation ?? 0))")
                out += LineDiff.diff(pretty(from.document), pretty(to)).map { "    " + $0 }
            case .delete(let stored):
                out.append("- delete \(stored.document.key) (generation \(stored.document.metadata.generation ?? 0))")
            }
        }
        if unchangedToo {
            for key in plan.unchanged.sorted() { out.append("= unchanged \(key)") }
        }
        return out.joined(separator: "\n")
    }

    private static func pretty(_ document: Document) -> String {
        var d = document
        d.metadata.generation = nil
        return d.json.encoded(pretty: true)
    }
}
