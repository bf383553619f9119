public import Foundation
public import ZKModel

/// Decides which Deploys get a new release in an apply: those written, and those whose App is
/// written, when what their instances would run differs from their current release. Pure.
public struct ReleasePlanner: Sendable {
    /// A Deploy's release state as stored.
    public struct Current: Sendable {
        public var pointer: ReleasePointer
        public var pointerVersion: Int32
        public var release: Release?

        public init(pointer: ReleasePointer, pointerVersion: Int32, release: Release?) {
            self.pointer = pointer
            self.pointerVersion = pointerVersion
            self.release = release
        }
    }

    public struct Change: Sendable {
        public var release: Release
        /// nil: the pointer node does not exist yet.
        public var pointerVersion: Int32?
        public var from: Int?
    }

    public init() {}

    /// Deploys whose release may change when `plan` is applied to `before`.
    public func affectedDeploys(_ plan: ApplyPlan, after: [DocumentKey: Document]) -> [String] {
        var names = Set<String>()
        var apps = Set<String>()
        for action in plan.actions {
            switch action {
            case .create(let d), .update(_, let d):
                if d.kind == .deploy { names.insert(d.name) }
                if d.kind == .app { apps.insert(d.name) }
            case .delete: break
            }
        }
        for (key, document) in after where key.kind == .deploy {
            if let spec = try? document.decodeSpec(DeploySpec.self), apps.contains(spec.app) { names.insert(key.name) }
        }
        return names.sorted()
    }

    /// The release `deploy` would run in `after`; nil when it has no image yet (a build that
    /// has not succeeded). A Deploy built from source runs `built`, its last built image.
    public func content(
        deploy: String,
        after: [DocumentKey: Document],
        number: Int,
        cause: String,
        secrets: Int? = nil,
        built: String? = nil,
        now: Date = Date()
    ) -> Release? {
        guard let document = after[DocumentKey(kind: .deploy, name: deploy)],
            let spec = try? document.decodeSpec(DeploySpec.self),
            let image = spec.image ?? (spec.build != nil ? built : nil),
            let appDocument = after[DocumentKey(kind: .app, name: spec.app)],
            let app = try? appDocument.decodeSpec(AppSpec.self)
        else { return nil }
        var release = Release(
            deploy: deploy,
            number: number,
            app: spec.app,
            environment: spec.environment,
            image: image,
            port: app.port,
            env: app.env,
            healthCheck: app.healthCheck,
            dependsOn: app.dependsOn,
            cpu: spec.cpu,
            memoryMB: spec.memoryMB,
            createdAt: Timestamp.string(now),
            cause: cause
        ).with(secrets: secrets)
        release.dependsOnApps = app.dependsOnApps
        return release
    }

    public func changes(
        deploys: [String],
        after: [DocumentKey: Document],
        current: [String: Current],
        source: String,
        secrets: [String: Int] = [:],
        now: Date = Date()
    ) -> [Change] {
        deploys.compactMap { name in
            let stored = current[name]
            let number = (stored?.pointer.latest ?? 0) + 1
            guard
                let release = content(
                    deploy: name,
                    after: after,
                    number: number,
                    cause: "apply by \(source)",
                    secrets: secrets[name],
                    built: stored?.release?.image,
                    now: now
                )
            else {
                return nil
            }
            if let existing = stored?.release, existing.sameContent(as: release) { return nil }
            return Change(release: release, pointerVersion: stored?.pointerVersion, from: stored?.pointer.current)
        }
    }
}
