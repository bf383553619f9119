import Foundation

/// Reads a tar archive (ustar, GNU long names, pax headers: what `tar` and `git archive` write)
/// into its regular files and symbolic links, refusing what could escape the tree a build
/// unpacks it into: absolute paths, `..`, links that leave the tree, devices, hard links to
/// outside, more than `limits` allow.
public struct TarReader: Sendable {
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var contents: [UInt8]
        public var mode: Int
        /// The link's target, for a symbolic link.
        public var linkTarget: String?

        public init(path: String, contents: [UInt8], mode: Int = 0o644, linkTarget: String? = nil) {
            self.path = path
            self.contents = contents
            self.mode = mode
            self.linkTarget = linkTarget
        }
    }

    public struct Limits: Sendable {
        public var maxBytes: Int
        public var maxEntries: Int

        public init(maxBytes: Int = 64 << 20, maxEntries: Int = 20000) {
            self.maxBytes = maxBytes
            self.maxEntries = maxEntries
        }
    }

    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public init() {}

    /// The archive's entries, in order; folders are implied by the paths and not listed.
    public func read(_ bytes: [UInt8], limits: Limits = Limits()) throws(Refused) -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        var total = 0
        var longName: String?
        var longLink: String?
        var paxPath: String?
        var paxLink: String?
        var seen: Set<String> = []
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<(offset + 512)])
            if header.allSatisfy({ $0 == 0 }) { break }
            guard Self.checksumMatches(header) else {
                throw Refused("not a tar archive (bad header checksum at byte \(offset))")
            }
            let size = Self.octal(header[124..<136])
            guard size >= 0, offset + 512 + size <= bytes.count else {
                throw Refused("the archive is truncated (an entry at byte \(offset) runs past its end)")
            }
            let data = Array(bytes[(offset + 512)..<(offset + 512 + size)])
            offset += 512 + (size + 511) / 512 * 512
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"):
                longName = Self.string(data)
                continue
            case UInt8(ascii: "K"):
                longLink = Self.string(data)
                continue
            case UInt8(ascii: "x"):
                let fields = Self.pax(data)
                paxPath = fields["path"]
                paxLink = fields["linkpath"]
                continue
            case UInt8(ascii: "g"):
                continue  // global pax header (git archive's commit id)
            default:
                break
            }
            var path = paxPath ?? longName ?? Self.name(header)
            let link = paxLink ?? longLink ?? Self.string(Array(header[157..<257]))
            (paxPath, paxLink, longName, longLink) = (nil, nil, nil, nil)
            while path.hasPrefix("./") { path.removeFirst(2) }
            if type == UInt8(ascii: "5") || path.isEmpty || path == "." {
                if !path.isEmpty, path != ".", path != "./" {
                    try Self.checkPath(path.hasSuffix("/") ? String(path.dropLast()) : path)
                }
                continue
            }
            try Self.checkPath(path)
            guard seen.insert(path).inserted else { throw Refused("\(path): appears twice in the archive") }
            entries.append(
                try Self.entry(type: type, path: path, data: data, link: link, mode: Self.octal(header[100..<108]))
            )
            total += data.count
            guard total <= limits.maxBytes else {
                throw Refused(
                    "the source is over \(limits.maxBytes >> 20) MiB unpacked; leave build outputs and data out of it"
                )
            }
            guard entries.count <= limits.maxEntries else {
                throw Refused("the source has more than \(limits.maxEntries) files")
            }
        }
        return entries
    }

    private static func entry(
        type: UInt8,
        path: String,
        data: [UInt8],
        link: String,
        mode: Int
    ) throws(Refused) -> Entry {
        switch type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            return Entry(path: path, contents: data, mode: mode & 0o777)
        case UInt8(ascii: "2"):
            guard resolve(link: link, at: path) != nil else {
                throw Refused("\(path): a link to \(link) leaves the source tree")
            }
            return Entry(path: path, contents: [], mode: 0o777, linkTarget: link)
        case UInt8(ascii: "1"):
            throw Refused("\(path): hard links are not taken; store the file itself")
        default:
            throw Refused(
                "\(path): only files, folders and links are taken (this entry is a device, FIFO or unknown type)"
            )
        }
    }

    static func checkPath(_ path: String) throws(Refused) {
        guard !path.hasPrefix("/") else {
            throw Refused("\(path): an absolute path; the source's paths must be relative")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains("..") else { throw Refused("\(path): a path with .. leaves the source tree") }
        guard !path.utf8.contains(0) else { throw Refused("a path holds a NUL byte") }
    }

    /// Where the link `target` at `path` points, inside the tree; nil if it leaves it.
    public static func resolve(link target: String, at path: String) -> String? {
        if target.hasPrefix("/") { return nil }
        var parts = path.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(component))
            }
        }
        return parts.joined(separator: "/")
    }

    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        let stored = octal(header[148..<156])
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(byte) }
        return stored == sum
    }

    private static func name(_ header: [UInt8]) -> String {
        let name = string(Array(header[0..<100]))
        let magic = string(Array(header[257..<263]))
        let prefix = magic.hasPrefix("ustar") ? string(Array(header[345..<500])) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ bytes: ArraySlice<UInt8>) -> Int {
        if let first = bytes.first, first & 0x80 != 0 {  // GNU base-256
            return bytes.dropFirst().reduce(0) { ($0 << 8) | Int($1) }
        }
        let text = String(decoding: bytes.prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        return Int(text, radix: 8) ?? -1
    }

    /// `len key=value\n` records.
    private static func pax(_ data: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        var rest = data[...]
        while let space = rest.firstIndex(of: 0x20), let length = Int(String(decoding: rest[..<space], as: UTF8.self)),
            length > 0, rest.startIndex + length <= rest.endIndex
        {
            let record = rest[(space + 1)..<(rest.startIndex + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                fields[String(decoding: record[..<equals], as: UTF8.self)] = String(
                    decoding: record[(equals + 1)...],
                    as: UTF8.self
                )
            }
            rest = rest[(rest.startIndex + length)...]
        }
        return fields
    }
}
