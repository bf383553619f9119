public import Yams
public import ZKModel

/// YAML to and from `JSONValue`: manifests, and build configs in a source tree.
public enum YAMLConversion {
    public struct Unsupported: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Converts a composed YAML node to JSON, keeping quoted scalars as strings.
    public static func json(from node: Node) throws(Unsupported) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            switch Resolver.default.resolveTag(of: node) {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int:
                if let i = node.int { return .int(i) }
                return .string(scalar.string)
            case .float: return .double(node.float ?? .nan)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(from: item)) }
            return .array(items)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let k) = key else { throw Unsupported(reason: "mapping keys must be plain strings") }
                guard members[k.string] == nil else { throw Unsupported(reason: "key \"\(k.string)\" appears twice") }
                members[k.string] = try json(from: value)
            }
            return .object(members)
        }
    }

    /// A JSON value as YAML text.
    public static func yaml(from value: JSONValue) -> String {
        (try? Yams.serialize(node: node(from: value), sortKeys: true)) ?? value.encoded(pretty: true)
    }

    /// The one document in `text` as JSON; a file with several documents or none is refused.
    public static func json(fromText text: String) throws(Unsupported) -> JSONValue {
        var nodes: [Node] = []
        do {
            // Root by root: compose_all would stop silently at a syntax error.
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() { nodes.append(node) }
        } catch {
            throw Unsupported(reason: "is not valid YAML: \(error)")
        }
        guard nodes.count == 1 else { throw Unsupported(reason: "must hold one YAML document, not \(nodes.count)") }
        return try json(from: nodes[0])
    }

    private static func node(from value: JSONValue) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double(let d): return Node("\(d)", Tag(.float))
        case .string(let s):
            // Quote strings that would otherwise read back as another type.
            let plain = Node(s)
            let style: Node.Scalar.Style = Resolver.default.resolveTag(of: plain) == .str ? .any : .doubleQuoted
            return Node(s, Tag(.str), style)
        case .array(let items): return Node(items.map(node(from:)))
        case .object(let members):
            return Node(members.keys.sorted().map { (Node($0), node(from: members[$0]!)) })
        }
    }
}
