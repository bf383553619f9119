import Foundation

/// `<root>/region`: which region's tree this is. Written once by the region's first manager started
/// with `--region`; a manager started with another name refuses to run on it.
public struct RegionMarker: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "Region"
    public var name: String

    public init(name: String) {
        self.name = name
    }

    /// A region name: lowercase letters, digits and dashes, starting with a letter, at most 32.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLowercase, name.count <= 32 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
