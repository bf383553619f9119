import Crypto
public import Docker
import Foundation
import Spawn
public import ZKModel

/// Gets a build's source as tar entries: an uploaded archive from the registry (by digest), or
/// a git ref resolved to a commit and exported with `git archive` from a bare cache per URL.
public struct SourceFetcher: Sendable {
    public let registry: RegistryClient
    /// Bare mirrors of the repositories built, one per URL.
    public let gitCache: String
    public let limits: TarReader.Limits

    public init(registry: RegistryClient, gitCache: String, limits: TarReader.Limits = TarReader.Limits()) {
        self.registry = registry
        self.gitCache = gitCache
        self.limits = limits
    }

    /// Where uploaded sources of `app` are kept in the registry (as blobs).
    public static func repository(app: String) -> String { "atlantis-sources/\(app)" }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// Whether trying again may help (a registry or a git server down), or the input is wrong.
        public let retryable: Bool
    }

    /// What a source resolved to: the entries, and the commit for git.
    public struct Fetched: Sendable {
        public var entries: [TarReader.Entry]
        public var commit: String?
    }

    /// The commit `git` points at now (`git ls-remote`), or the ref itself when it is a full SHA.
    public func resolve(_ git: BuildSource.Git) async throws(Failure) -> String {
        let ref = git.ref ?? "HEAD"
        if Self.isCommit(ref) { return ref }
        let outcome = await Spawn.output(["git", "ls-remote", "--", git.url, ref])
        guard outcome.status == 0 else {
            throw Failure(
                description:
                    "git ls-remote \(git.url) \(ref) failed: \(outcome.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                retryable: true
            )
        }
        // A branch and a tag of one name: prefer the exact ref, then heads, then tags.
        let lines = outcome.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let candidates = ["\(ref)", "refs/heads/\(ref)", "refs/tags/\(ref)^{}", "refs/tags/\(ref)"]
        for candidate in candidates {
            if let line = lines.first(where: { $0.count == 2 && $0[1] == candidate }) { return line[0] }
        }
        throw Failure(description: "\(git.url) has no ref \"\(ref)\"", retryable: false)
    }

    /// The source's entries; `commit` is what `resolve` returned for a git source (resolved here if nil).
    public func fetch(
        _ source: BuildSource,
        app: String,
        commit resolved: String? = nil
    ) async throws(Failure) -> Fetched {
        if let archive = source.archive {
            let bytes: [UInt8]?
            do {
                bytes = try await registry.blob(
                    archive.digest,
                    repository: Self.repository(app: app),
                    maxBytes: limits.maxBytes + (1 << 20)
                )
            } catch {
                throw Failure(description: error.description, retryable: error.retryable)
            }
            guard let bytes else {
                throw Failure(
                    description: "the registry has no source \(archive.digest) for \(app) (upload it again)",
                    retryable: false
                )
            }
            return Fetched(entries: try read(bytes), commit: nil)
        }
        guard let git = source.git else { throw Failure(description: "the build names no source", retryable: false) }
        let commit: String
        if let resolved { commit = resolved } else { commit = try await resolve(git) }
        let mirror = "\(gitCache)/\(Self.hash(git.url))"
        if !FileManager.default.fileExists(atPath: mirror + "/HEAD") {
            try? FileManager.default.createDirectory(atPath: gitCache, withIntermediateDirectories: true)
            try await run(["git", "init", "-q", "--bare", mirror], "make a git cache")
        }
        let has = await Spawn.output(["git", "-C", mirror, "cat-file", "-e", "\(commit)^{commit}"])
        if has.status != 0 {
            try await run(
                ["git", "-C", mirror, "fetch", "-q", "--no-tags", "--", git.url, git.ref ?? "HEAD"],
                "fetch \(git.url) \(git.ref ?? "HEAD")"
            )
            let now = await Spawn.output(["git", "-C", mirror, "cat-file", "-e", "\(commit)^{commit}"])
            if now.status != 0 {
                // The ref moved between ls-remote and fetch, or the commit is not on a ref: fetch it by id.
                try await run(["git", "-C", mirror, "fetch", "-q", "--", git.url, commit], "fetch commit \(commit)")
            }
        }
        let file = "\(gitCache)/archive-\(UUID().uuidString).tar"
        defer { try? FileManager.default.removeItem(atPath: file) }
        var argv = ["git", "-C", mirror, "archive", "--format=tar", "-o", file, commit]
        if let path = git.path { argv += ["--", path] }
        try await run(argv, "export \(commit)\(git.path.map { " " + $0 } ?? "")")
        var entries = try read(Spawn.readBytes(file))
        if let path = git.path {
            let prefix = path.hasSuffix("/") ? path : path + "/"
            entries = entries.compactMap { entry in
                guard entry.path.hasPrefix(prefix) else { return nil }
                var moved = entry
                moved.path = String(entry.path.dropFirst(prefix.count))
                return moved.path.isEmpty ? nil : moved
            }
            guard !entries.isEmpty else {
                throw Failure(description: "\(git.url) at \(commit) has nothing under \(path)", retryable: false)
            }
        }
        return Fetched(entries: entries, commit: commit)
    }

    private func read(_ bytes: [UInt8]) throws(Failure) -> [TarReader.Entry] {
        do {
            return try TarReader().read(bytes, limits: limits)
        } catch {
            throw Failure(description: "the source is refused: \(error.description)", retryable: false)
        }
    }

    private func run(_ argv: [String], _ what: String) async throws(Failure) {
        let outcome = await Spawn.output(argv)
        guard outcome.status == 0 else {
            throw Failure(
                description: "could not \(what): \(outcome.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                retryable: true
            )
        }
    }

    static func isCommit(_ ref: String) -> Bool {
        (ref.count == 40 || ref.count == 64) && ref.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
