/// A message the proxy refuses: the status to answer and what is wrong, in words a client can act on.
struct WireError: Error, Sendable, Equatable {
    let status: Int
    let reason: String

    static func bad(_ reason: String) -> WireError { WireError(status: 400, reason: reason) }
}
