/// A POSIX ustar archive built in memory: the build context `POST /build` takes. Paths are
/// relative, without `..`; regular files and symbolic links that stay inside the tree (the
/// Engine makes the folders).
public struct TarArchive: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var paths: Set<String> = []

    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public init() {}

    /// Adds a regular file; refuses absolute paths, `..`, empty components and names ustar cannot hold.
    public mutating func add(_ path: String, contents: [UInt8], mode: Int = 0o644) throws(Refused) {
        try append(path, contents: contents, mode: mode, type: UInt8(ascii: "0"), link: [])
    }

    /// Adds a symbolic link; refuses one whose target leaves the tree.
    public mutating func addSymlink(_ path: String, target: String) throws(Refused) {
        guard TarReader.resolve(link: target, at: path) != nil, target.utf8.count <= 100 else {
            throw Refused(description: "\(path): a link to \(target) leaves the source tree")
        }
        try append(path, contents: [], mode: 0o777, type: UInt8(ascii: "2"), link: Array(target.utf8))
    }

    private mutating func append(
        _ path: String,
        contents: [UInt8],
        mode: Int,
        type: UInt8,
        link: [UInt8]
    ) throws(Refused) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.hasPrefix("/"), parts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." }) else {
            throw Refused(description: "\(path): a path in the build context must be relative, without . or ..")
        }
        guard !path.utf8.contains(0), path.utf8.count <= 255 else {
            throw Refused(description: "\(path.prefix(64))…: a path in the build context is at most 255 bytes")
        }
        guard paths.insert(path).inserted else { throw Refused(description: "\(path): given twice") }
        var name = Array(path.utf8)
        var prefix: [UInt8] = []
        if name.count > 100 {
            // Split at a slash: prefix (≤ 155) / name (≤ 100).
            guard
                let cut = name.indices.last(where: {
                    name[$0] == UInt8(ascii: "/") && $0 <= 155 && name.count - $0 - 1 <= 100
                })
            else { throw Refused(description: "\(path.prefix(64))…: too long a file name for the build context") }
            prefix = Array(name[..<cut])
            name = Array(name[(cut + 1)...])
        }
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) {
            for (i, byte) in field.enumerated() { header[offset + i] = byte }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)  // uid
        put(octal(0, width: 8), at: 116)  // gid
        put(octal(contents.count, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)  // mtime: fixed, so the same files make the same context
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)  // checksum, counted as spaces
        header[156] = type
        put(link, at: 157)
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(
            Array((String(repeating: "0", count: max(0, 6 - String(sum, radix: 8).count)) + String(sum, radix: 8)).utf8)
                + [0, 0x20],
            at: 148
        )
        bytes += header
        bytes += contents
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive, ended by two zero blocks.
    public var archive: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}
