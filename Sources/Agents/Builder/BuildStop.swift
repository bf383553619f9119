import ZKModel

/// Why a build stopped short of an image: the phase it ends in and what to tell the user.
struct BuildStop: Error, CustomStringConvertible {
    var phase: BuildPhase
    var description: String
    /// Whether the log's tail belongs in the status (a failed step).
    var withLog: Bool

    static func failed(_ message: String, withLog: Bool = false) -> BuildStop {
        BuildStop(phase: .failed, description: message, withLog: withLog)
    }

    static let cancelled = BuildStop(phase: .cancelled, description: "cancelled", withLog: false)
}
