/// A path into a document, printed as `spec.endpoints[0].port`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var components: [String]

    public init(_ components: [String] = []) {
        self.components = components
    }

    public init(arrayLiteral elements: String...) {
        self.components = elements
    }

    public func appending(_ key: String) -> FieldPath {
        FieldPath(components + [key])
    }

    public func appending(_ index: Int) -> FieldPath {
        FieldPath(components + ["[\(index)]"])
    }

    public var description: String {
        var out = ""
        for c in components {
            if c.hasPrefix("[") || out.isEmpty { out += c } else { out += "." + c }
        }
        return out.isEmpty ? "(document)" : out
    }
}

/// What is wrong with one field of a document.
public struct FieldError: Hashable, Sendable, CustomStringConvertible {
    public var path: FieldPath
    public var reason: String

    public init(path: FieldPath, reason: String) {
        self.path = path
        self.reason = reason
    }

    public init(path: String, reason: String) {
        self.init(path: FieldPath(path.isEmpty ? [] : path.split(separator: ".").map(String.init)), reason: reason)
    }

    public var description: String { "\(path): \(reason)" }
}
