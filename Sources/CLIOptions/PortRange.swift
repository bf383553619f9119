import ArgumentParser

/// Host ports as `--ports` takes them: FIRST-LAST, both integers, within 1-65535, FIRST ≤ LAST.
public struct PortRange: Sendable, Hashable, CustomStringConvertible {
    public let range: ClosedRange<Int>

    public init(_ range: ClosedRange<Int>) {
        self.range = range
    }

    public var description: String { "\(range.lowerBound)-\(range.upperBound)" }

    /// A parser for `@Option(transform:)`: a bad value is refused naming it and the rule.
    public static func parse(_ text: String) throws -> PortRange {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let first = parts[0], let last = parts[1], first >= 1, first <= last, last <= 65535
        else {
            throw ValidationError("--ports must be FIRST-LAST within 1-65535, not \(text)")
        }
        return PortRange(first...last)
    }
}
