/// An image reference as Docker reads it: `[registry/]repository[:tag][@digest]`. The registry is
/// the first component when it holds a `.` or `:` or is `localhost`.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public var registry: String?
    public var repository: String
    public var tag: String?
    public var digest: String?

    public init?(_ text: String) {
        guard !text.isEmpty, text.count <= 512, !text.contains(where: { $0.isWhitespace || $0 == "\0" }) else {
            return nil
        }
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            let digest = String(rest[rest.index(after: at)...])
            guard Self.isDigest(digest) else { return nil }
            self.digest = digest
            rest = rest[..<at]
        }
        let slash = rest.firstIndex(of: "/")
        if let slash {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" {
                // host[:port], the port in digits.
                let parts = first.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count <= 2, !parts[0].isEmpty,
                    parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(\.isNumber))
                else { return nil }
                registry = String(first)
                rest = rest[rest.index(after: slash)...]
            }
        }
        if let colon = rest.lastIndex(of: ":") {
            let tag = rest[rest.index(after: colon)...]
            guard !tag.isEmpty, !tag.contains("/") else { return nil }
            self.tag = String(tag)
            rest = rest[..<colon]
        }
        guard !rest.isEmpty, !rest.hasPrefix("/"), !rest.hasSuffix("/"), !rest.contains("//"),
            rest.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-/".contains($0)) })
        else { return nil }
        repository = String(rest)
    }

    public init(registry: String?, repository: String, tag: String? = nil, digest: String? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// `sha256:` and 64 lowercase hex digits.
    public static func isDigest(_ text: String) -> Bool {
        text.hasPrefix("sha256:") && text.count == 71
            && text.dropFirst(7).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The same bytes from another registry, pinned: `registry/repository@digest`.
    public func pinned(registry: String, digest: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, digest: digest)
    }

    public var description: String {
        (registry.map { "\($0)/" } ?? "") + repository + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }
}
