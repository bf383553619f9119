/// Where tests inject faults into a manager command against the real ZooKeeper: a race widened
/// (another writer acts between the command's read and its write) or a reply lost (the write
/// committed, the command is told the connection dropped). No-ops unless a test sets them.
struct FaultPoints: Sendable {
    /// Runs after the command has read what it plans from, before it writes.
    var afterRead: @Sendable () async -> Void = {}
    /// Runs after a write committed, before the command sees its reply: an error thrown here is
    /// what the command sees instead.
    var afterWrite: @Sendable () async throws -> Void = {}
}
