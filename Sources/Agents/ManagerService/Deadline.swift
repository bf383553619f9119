import ManagerAPI

/// Runs `body` and gives up after `deadline` with a 504 problem (the work is cancelled).
func withDeadline<T: Sendable>(
    _ deadline: Duration,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw Problem(
                .timeout,
                "the request took longer than \(deadline); if it writes, look whether it did before retrying"
            )
        }
        return value
    }
}
