/// Per-key exponential backoff with jitter: base·2^(failures-1), capped, scaled by a random factor
/// in [1-jitter, 1].
public struct Backoff: Hashable, Sendable {
    public var base: Duration
    public var cap: Duration
    public var jitter: Double

    public init(base: Duration = .milliseconds(250), cap: Duration = .seconds(300), jitter: Double = 0.2) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before retry number `failures` (1 for the first failure).
    public func delay(failures: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(failures - 1, 0), 40)
        let capped = min(base * Double(1 << exponent), cap)
        return capped * (1 - jitter * random)
    }
}
