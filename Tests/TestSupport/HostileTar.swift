import Foundation

/// Tar archives written byte by byte, so that tests can make the ones no honest tool would:
/// absolute paths, `..`, links out of the tree, devices.
public enum HostileTar {
    /// A ustar header block for `name` with `type`, `size` bytes and `link` (checksummed).
    public static func header(_ name: String, type: Character = "0", size: Int = 0, link: String = "") -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ at: Int) { for (i, b) in text.utf8.enumerated() { block[at + i] = b } }
        put(name, 0)
        put("0000644", 100)
        put(String(format: "%011o", size), 124)
        put("00000000000", 136)
        put("        ", 148)
        block[156] = UInt8(ascii: type.unicodeScalars.first!)
        put(link, 157)
        put("ustar", 257)
        put("00", 263)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), 148)
        block[154] = 0
        block[155] = 0x20
        return block
    }

    /// The blocks, ended by two zero blocks.
    public static func archive(_ entries: [[UInt8]]) -> [UInt8] {
        entries.flatMap { $0 } + [UInt8](repeating: 0, count: 1024)
    }
}
