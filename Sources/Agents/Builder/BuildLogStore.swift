public import Foundation
import Synchronization

/// Each build's log, one file per build under the builder's store (`<store>/logs/<id>.log`),
/// with live followers. A line over `maxLineBytes` is cut (its first part kept and the cut
/// said), a log over `maxLogBytes` stops growing with a last line saying so; logs older than
/// `retention` are removed, oldest first beyond `maxLogs`.
public final class BuildLogStore: Sendable {
    public struct Limits: Sendable {
        public var maxLineBytes: Int
        public var maxLogBytes: Int
        public var maxLogs: Int
        public var retention: Duration

        public init(
            maxLineBytes: Int = 8192,
            maxLogBytes: Int = 8 << 20,
            maxLogs: Int = 2000,
            retention: Duration = .seconds(14 * 24 * 3600)
        ) {
            self.maxLineBytes = maxLineBytes
            self.maxLogBytes = maxLogBytes
            self.maxLogs = maxLogs
            self.retention = retention
        }
    }

    public let folder: String
    public let limits: Limits

    private struct Open {
        var handle: FileHandle
        var size: Int
        var full = false
        var followers: [Int: AsyncStream<[UInt8]>.Continuation] = [:]
    }

    private struct State {
        var open: [String: Open] = [:]
        var nextFollower = 0
    }

    private let state = Mutex(State())

    public init(folder: String, limits: Limits = Limits()) throws {
        self.folder = folder
        self.limits = limits
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func path(_ build: String) -> String { "\(folder)/\(build).log" }

    /// Starts (or continues, on a retry) a build's log.
    public func begin(_ build: String) {
        let path = path(build)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        let size = Int(handle.seekToEndOfFile())
        state.withLock { state in
            if let old = state.open[build] { try? old.handle.close() }
            state.open[build] = Open(handle: handle, size: size, followers: state.open[build]?.followers ?? [:])
        }
    }

    /// Appends one line (a newline is added).
    public func append(_ build: String, _ line: String) {
        var bytes = Array(line.utf8)
        if bytes.count > limits.maxLineBytes {
            let cut = bytes.count - limits.maxLineBytes
            bytes = Array(bytes.prefix(limits.maxLineBytes)) + Array(" … [line cut: \(cut) more bytes]".utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
        state.withLock { state in
            guard var open = state.open[build], !open.full else { return }
            if open.size + bytes.count > limits.maxLogBytes {
                bytes = Array("[log cut: over \(limits.maxLogBytes >> 20) MiB; later lines are not kept]\n".utf8)
                open.full = true
            }
            open.handle.write(Data(bytes))
            open.size += bytes.count
            for follower in open.followers.values { follower.yield(bytes) }
            state.open[build] = open
        }
    }

    /// Ends a build's log: its followers get the end.
    public func end(_ build: String) {
        let followers = state.withLock { state -> [AsyncStream<[UInt8]>.Continuation] in
            guard let open = state.open.removeValue(forKey: build) else { return [] }
            try? open.handle.close()
            return Array(open.followers.values)
        }
        // Outside the lock: finishing runs a follower's termination handler, which takes it.
        for follower in followers { follower.finish() }
    }

    /// Whether the build's log is still being written.
    public func isOpen(_ build: String) -> Bool { state.withLock { $0.open[build] != nil } }

    /// The log so far, nil when there is none.
    public func read(_ build: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path(build)).map { Array($0) }
    }

    /// The last `bytes` of the log, starting at a line.
    public func tail(_ build: String, bytes: Int) -> String {
        guard let all = read(build) else { return "" }
        guard all.count > bytes else { return String(decoding: all, as: UTF8.self) }
        var part = all.suffix(bytes)
        if let newline = part.firstIndex(of: UInt8(ascii: "\n")) { part = part[(newline + 1)...] }
        return String(decoding: part, as: UTF8.self)
    }

    /// What is in the log now, then what is appended until it ends (at once if it has ended).
    public func follow(_ build: String) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        state.withLock { state in
            // Read under the lock so that no line falls between the read and the subscription.
            if let current = read(build), !current.isEmpty { continuation.yield(current) }
            guard state.open[build] != nil else {
                continuation.finish()
                return
            }
            let id = state.nextFollower
            state.nextFollower += 1
            state.open[build]!.followers[id] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.open[build]?.followers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    /// Removes logs past the retention, and the oldest beyond `maxLogs`. Returns how many.
    @discardableResult
    public func prune(now: Date = Date()) -> Int {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder) else { return 0 }
        let open = state.withLock { Set($0.open.keys) }
        var logs: [(name: String, modified: Date)] = []
        for name in names where name.hasSuffix(".log") && !open.contains(String(name.dropLast(4))) {
            let modified =
                (try? manager.attributesOfItem(atPath: "\(folder)/\(name)")[.modificationDate] as? Date) ?? now
            logs.append((name, modified))
        }
        logs.sort { $0.modified > $1.modified }
        let cutoff = now.addingTimeInterval(-Double(limits.retention.components.seconds))
        var removed = 0
        for (index, log) in logs.enumerated() where index >= limits.maxLogs || log.modified < cutoff {
            try? manager.removeItem(atPath: "\(folder)/\(log.name)")
            removed += 1
        }
        return removed
    }
}
