extension ObjectStatus.Condition {
    /// The condition types agents write.
    public enum Kind: String, Sendable {
        case ready = "Ready"
        case progressing = "Progressing"
        case degraded = "Degraded"
    }

    /// `status` as Kubernetes' API conventions spell it.
    public enum Truth: String, Sendable {
        case `true` = "True"
        case `false` = "False"
        case unknown = "Unknown"
    }

    /// A condition of `kind` holding (`True`) or not (`False`), with one CamelCase `reason`.
    public init(_ kind: Kind, _ truth: Truth, reason: String, message: String = "") {
        self.init(type: kind.rawValue, status: truth.rawValue, reason: reason, message: message)
    }

    /// `Ready=True`.
    public static func ready(reason: String, message: String) -> Self {
        Self(.ready, .true, reason: reason, message: message)
    }

    /// `Ready=False`: why not yet, or why not any more.
    public static func notReady(reason: String, message: String) -> Self {
        Self(.ready, .false, reason: reason, message: message)
    }
}

extension ObjectStatus {
    /// The condition of `kind`, if written.
    public func condition(_ kind: Condition.Kind) -> Condition? { condition(kind.rawValue) }
}
