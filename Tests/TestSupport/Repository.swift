/// The checkout the tests run from (its scripts, fixtures and examples).
public enum Repository {
    /// The repository's root: this file is `Tests/TestSupport/Repository.swift`.
    public static let root: String = {
        var path = "\(#filePath)"
        for _ in 0..<3 {
            guard let slash = path.lastIndex(of: "/") else { break }
            path = String(path[..<slash])
        }
        return path
    }()

    /// `relative` under the root.
    public static func path(_ relative: String) -> String { root + "/" + relative }
}
