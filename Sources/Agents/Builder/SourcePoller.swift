import Foundation
import Logging
import Reconciler
import ZKModel
import ZooKeeper

/// Looks at the git ref of every Deploy with a `build:` every `pollSeconds`, and writes the
/// commit it points at to `<root>/status/sources/<deploy>` when it changed: the manager turns a
/// new commit into a build (only the manager writes builds).
struct SourcePoller: Sendable {
    let zk: ZooKeeperClient
    let tree: ZNodeTree
    let deploys: ZNodeCache
    let fetcher: SourceFetcher
    let logger: Logger
    /// How often the loop wakes to see which refs are due.
    let tick: Duration

    func run() async {
        var due: [String: ContinuousClock.Instant] = [:]
        var last: [String: SourceRevision] = [:]
        while !Task.isCancelled {
            let now = ContinuousClock.now
            for name in deploys.allKeys() {
                guard let build = build(of: name) else {
                    due[name] = nil
                    continue
                }
                if let next = due[name], next > now, last[name]?.git == build.source { continue }
                due[name] = now + .seconds(build.pollSeconds ?? DeploySpec.Build.defaultPollSeconds)
                let revision: SourceRevision
                do {
                    let commit = try await fetcher.resolve(build.source)
                    revision = SourceRevision(git: build.source, commit: commit, error: nil, checkedAt: Self.now())
                } catch {
                    revision = SourceRevision(
                        git: build.source,
                        commit: nil,
                        error: error.description,
                        checkedAt: Self.now()
                    )
                }
                if let previous = last[name], previous.git == revision.git, previous.commit == revision.commit,
                    previous.error == revision.error
                {
                    continue
                }
                do {
                    try await zk.upsert(tree.sourceRevision(deploy: name), data: try Payload.encode(revision))
                    last[name] = revision
                    logger.info(
                        "builder.source_revision",
                        metadata: [
                            "deploy": "\(name)", "commit": "\(revision.commit ?? "-")",
                            "error": "\(revision.error ?? "")",
                        ]
                    )
                } catch {
                    logger.warning(
                        "builder.source_revision_unwritten",
                        metadata: ["deploy": "\(name)", "error": "\(error)"]
                    )
                }
            }
            try? await Task.sleep(for: tick)
        }
    }

    /// The Deploy's `build:`, nil when it has none (or does not validate).
    func build(of deploy: String) -> DeploySpec.Build? {
        guard let data = deploys.snapshot(deploy)?.data, let value = try? JSONValue.parse(Data(data)),
            case .success(let document) = DocumentValidator().validate(value),
            let spec = try? document.decodeSpec(DeploySpec.self)
        else { return nil }
        return spec.build
    }

    static func now() -> String { Timestamp.string(Date()) }
}
