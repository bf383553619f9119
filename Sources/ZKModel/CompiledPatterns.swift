import Synchronization

/// The schemas' `pattern`s, each compiled once. Compiling a pattern is most of a validation's cost
/// (a router re-validating its Routes, a manager checking an apply), so it is not done per value.
/// `Regex` is not `Sendable`: the compiled patterns are used only under the lock.
///
/// Matching with `Regex` costs microseconds per value (a router's Route change spent a quarter
/// of its validation there), and the values checked are mostly the same few names and hosts
/// again — a Route's next version, a resync — so each pattern's recent answers are kept, up to
/// `rememberedAnswers` of them (then forgotten all at once: a bound, not a cache policy), for
/// values up to `rememberedLength` bytes (names and hosts; a long value is matched each time, so
/// the memory stays under a few hundred KiB per pattern).
final class CompiledPatterns: Sendable {
    private struct Compiled {
        let regex: Regex<AnyRegexOutput>?
        var answers: [String: Bool] = [:]

        /// Whether `string` contains a match (false when the pattern does not compile), remembered
        /// for a short value.
        mutating func matches(_ string: String) -> Bool {
            if let answer = answers[string] { return answer }
            let answer = regex.map { string.contains($0) } ?? false
            if string.utf8.count <= CompiledPatterns.rememberedLength {
                if answers.count >= CompiledPatterns.rememberedAnswers { answers.removeAll(keepingCapacity: true) }
                answers[string] = answer
            }
            return answer
        }
    }

    static let rememberedAnswers = 1024
    static let rememberedLength = 256

    private let compiled = Mutex<[String: Compiled]>([:])

    /// Whether `string` contains a match of `pattern` (JSON Schema's patterns are not anchored);
    /// false when the pattern does not compile.
    func matches(_ string: String, _ pattern: String) -> Bool {
        compiled.withLock { cache in
            cache[pattern, default: Compiled(regex: try? Regex(pattern))].matches(string)
        }
    }
}
