public import ZKModel

/// Request bodies are read strictly: a field the API does not know is refused with its name
/// (a typo must not be ignored silently).
public enum StrictFields {
    /// The first unknown field of `value` (an object), as a path such as `documents[2].ifVerison`.
    public static func unknown(in value: JSONValue, allowed: Set<String>, path: String = "") -> String? {
        guard case .object(let fields) = value else { return nil }
        for name in fields.keys.sorted() where !allowed.contains(name) {
            return path.isEmpty ? name : "\(path).\(name)"
        }
        return nil
    }
}
