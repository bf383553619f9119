import Synchronization

/// The schemas' `pattern`s, each compiled once. Compiling a pattern is most of a validation's cost
/// (a router re-validating its Routes, a manager checking an apply), so it is not done per value.
/// `Regex` is not `Sendable`: the compiled patterns are used only under the lock.
final class CompiledPatterns: Sendable {
    private let compiled = Mutex<[String: Regex<AnyRegexOutput>?]>([:])

    /// Whether `string` contains a match of `pattern` (JSON Schema's patterns are not anchored);
    /// false when the pattern does not compile.
    func matches(_ string: String, _ pattern: String) -> Bool {
        compiled.withLock { cache in
            let regex: Regex<AnyRegexOutput>?
            if let known = cache[pattern] {
                regex = known
            } else {
                regex = try? Regex(pattern)
                cache[pattern] = regex
            }
            guard let regex else { return false }
            return string.contains(regex)
        }
    }
}
