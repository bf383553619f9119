/// Converges one key's actual state to its desired state. Level-triggered: the key is all it is
/// given; it re-reads desired state (from a cache) and actual state every time.
public protocol Reconciler: Sendable {
    func reconcile(key: String) async throws -> ReconcileResult
}

/// A reconciler from a closure, for small agents and tests.
public struct ClosureReconciler: Reconciler {
    let body: @Sendable (String) async throws -> ReconcileResult

    public init(_ body: @escaping @Sendable (String) async throws -> ReconcileResult) {
        self.body = body
    }

    public func reconcile(key: String) async throws -> ReconcileResult {
        try await body(key)
    }
}
