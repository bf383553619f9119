import Foundation

extension TableSnapshot {
    /// How many pools or rules are encoded at a time.
    static let saveChunk = 256

    /// Writes the snapshot to `path` as the JSON `JSONEncoder` makes of it whole (keys sorted:
    /// pools, rules, version), encoded `saveChunk` entries at a time: at 50,000 backends the
    /// whole held about 13 MiB of temporaries at once, beside the table being built. Written to
    /// a temporary file first, then renamed over `path`: a crash leaves the old table or the new.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp])
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
        do {
            try file.write(contentsOf: Data(#"{"pools":"#.utf8))
            try Self.write(pools, with: encoder, to: file)
            try file.write(contentsOf: Data(#","rules":"#.utf8))
            try Self.write(rules, with: encoder, to: file)
            try file.write(contentsOf: Data(#","version":"#.utf8) + encoder.encode(version) + Data("}".utf8))
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
        // rename(2) replaces the old file atomically.
        guard rename(tmp, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// `items` as one JSON array, encoded and written a chunk at a time.
    private static func write<Item: Encodable>(
        _ items: [Item],
        with encoder: JSONEncoder,
        to file: FileHandle
    ) throws {
        try file.write(contentsOf: Data("[".utf8))
        var start = 0
        while start < items.count {
            let end = min(start + saveChunk, items.count)
            // "[a,b]": its elements go in, with a comma before all but the first chunk's.
            let chunk = try encoder.encode(Array(items[start..<end]))
            if start > 0 { try file.write(contentsOf: Data(",".utf8)) }
            try file.write(contentsOf: chunk.dropFirst().dropLast())
            start = end
        }
        try file.write(contentsOf: Data("]".utf8))
    }
}
