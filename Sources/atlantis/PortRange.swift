import ArgumentParser

/// Host ports as `--ports` takes them: FIRST-LAST, both integers, within 1-65535, FIRST ≤ LAST.
enum PortRange {
    static func parse(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let first = parts[0], let last = parts[1], first >= 1, first <= last, last <= 65535 else {
            throw ValidationError("--ports must be FIRST-LAST within 1-65535, not \(text)")
        }
        return first...last
    }
}
