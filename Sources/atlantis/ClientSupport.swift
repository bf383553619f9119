import ArgumentParser
import Foundation
import Manager
import ManagerAPI
import ManagerClient
import ZKModel

/// Reads the manifests of `-f` on this machine (errors name the file); invalid input exits 2.
func loadManifests(_ paths: [String]) throws -> [LoadedDocument] {
    do {
        return try ManifestLoader().load(paths: paths)
    } catch {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}

extension ApplyRequest {
    init(_ loaded: [LoadedDocument], source: String, prune: Bool, dryRun: Bool) {
        self.init(
            documents: loaded.map { Item(file: $0.location.file, index: $0.location.index, document: $0.value) },
            source: source,
            prune: prune,
            dryRun: dryRun
        )
    }
}

extension StoredItem {
    /// The document as the formatter prints it (nil if the manager sent something invalid).
    var stored: StoredDocument? {
        guard let document = try? DocumentValidator().validate(self.document).get() else { return nil }
        return StoredDocument(document: document, version: version, modified: modified)
    }
}

/// Seconds since `started`, as progress lines show them.
func elapsed(_ started: ContinuousClock.Instant) -> Double { (ContinuousClock.now - started) / .seconds(1) }

func progressLine(_ started: ContinuousClock.Instant, _ line: String) {
    let label = ProgressLabel.region.map { "[\($0)] " } ?? ""
    print(String(format: "  %6.1fs  %@%@", elapsed(started), label, line))
}

/// The region a multi-region deploy's progress line is about (deploys run region by region, or several at once).
enum ProgressLabel {
    @TaskLocal static var region: String?
}

/// Prints rows as aligned columns (the first row is the header; the last column is not padded).
func printTable(_ rows: [[String]]) {
    guard let header = rows.first else { return }
    let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
    for row in rows {
        print(
            row.indices.map { i in
                i == row.count - 1 ? row[i] : row[i].padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
        )
    }
}
