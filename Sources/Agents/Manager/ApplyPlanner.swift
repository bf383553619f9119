public import ZKModel

/// Decides what an apply writes: pure, so it is tested without ZooKeeper.
public struct ApplyPlanner: Sendable {
    public struct Input: Sendable {
        public var location: DocumentLocation?
        public var document: Document

        public init(location: DocumentLocation?, document: Document) {
            self.location = location
            self.document = document
        }
    }

    let references = ReferenceChecker()

    public init() {}

    /// Kinds whose documents can refer to a document of `kind`.
    static func referrerKinds(of kind: Kind) -> [Kind] {
        switch kind {
        case .team: return [.app]
        case .service: return [.app, .route]
        case .app: return [.deploy, .route]
        case .zone: return [.deploy]
        case .deploy: return [.route]
        case .route, .template: return []
        }
    }

    public func plan(
        _ inputs: [Input],
        current: ClusterSnapshot,
        source: String,
        prune: Bool
    ) throws(ManagerError) -> ApplyPlan {
        var problems: [InputProblem] = []
        var seen: [DocumentKey: DocumentLocation?] = [:]
        for input in inputs {
            if let first = seen[input.document.key] {
                let whereFirst = first.map { " (first at \($0))" } ?? ""
                problems.append(
                    InputProblem(
                        location: input.location,
                        key: input.document.key,
                        errors: [
                            FieldError(
                                path: ["metadata", "name"],
                                reason: "appears more than once in this apply\(whereFirst)"
                            )
                        ]
                    )
                )
            }
            seen[input.document.key] = input.location
        }
        if !problems.isEmpty { throw .invalid(problems) }

        var plan = ApplyPlan(source: source)
        var after = current.allDocuments
        var conflicts: [String] = []
        for input in inputs {
            var document = input.document
            document.metadata.source = source
            document.metadata.generation = nil
            if let stored = current.documents[document.key] {
                if stored.document.sameContent(as: document) && stored.document.metadata.source == source {
                    plan.unchanged.append(document.key)
                } else {
                    if let expected = input.document.metadata.generation,
                        expected != stored.document.metadata.generation
                    {
                        conflicts.append(
                            "\(document.key): you applied generation \(expected), but it is at generation "
                                + "\(stored.document.metadata.generation ?? 0): it changed since you read it; re-read, merge and apply again"
                        )
                    }
                    plan.actions.append(.update(from: stored, to: document))
                }
            } else {
                if let expected = input.document.metadata.generation {
                    conflicts.append(
                        "\(document.key): you applied generation \(expected) of a document that no longer exists; "
                            + "drop metadata.generation to create it again"
                    )
                }
                plan.actions.append(.create(document))
            }
            after[document.key] = document
        }
        if prune {
            let kept = Set(inputs.map(\.document.key))
            for stored in current.documents.values.sorted(by: { $0.document.key < $1.document.key })
            where stored.document.metadata.source == source && !kept.contains(stored.document.key) {
                plan.actions.append(.delete(stored))
                after[stored.document.key] = nil
            }
        }
        if !conflicts.isEmpty { throw ManagerError(.conflict, conflicts.joined(separator: "\n")) }
        try check(plan: &plan, inputs: inputs, current: current, after: after)
        return plan
    }

    /// Plans deleting one document: refused while others still refer to it.
    public func planDelete(
        _ key: DocumentKey,
        current: ClusterSnapshot,
        source: String
    ) throws(ManagerError) -> ApplyPlan {
        try planDelete([key], current: current, source: source)
    }

    /// Plans deleting several documents together (a Deploy and the Routes to it).
    public func planDelete(
        _ keys: [DocumentKey],
        current: ClusterSnapshot,
        source: String
    ) throws(ManagerError) -> ApplyPlan {
        var plan = ApplyPlan(source: source)
        var after = current.allDocuments
        for key in keys {
            guard let stored = current.documents[key] else {
                throw ManagerError(.notFound, "\(key) does not exist")
            }
            plan.actions.append(.delete(stored))
            after[key] = nil
        }
        try check(plan: &plan, inputs: [], current: current, after: after)
        return plan
    }

    private func check(
        plan: inout ApplyPlan,
        inputs: [Input],
        current: ClusterSnapshot,
        after: [DocumentKey: Document]
    ) throws(ManagerError) {
        var problems: [InputProblem] = []
        let written = plan.actions.compactMap { action -> Document? in
            switch action {
            case .create(let d), .update(_, let d): return d
            case .delete: return nil
            }
        }
        let locations = Dictionary(inputs.map { ($0.document.key, $0.location) }, uniquingKeysWith: { a, _ in a })
        // References of everything in the input must resolve in the state after the apply.
        let broken = references.check(inputs.map(\.document), in: after)
        for (key, errors) in broken.sorted(by: { $0.key < $1.key }) {
            problems.append(InputProblem(location: locations[key] ?? nil, key: key, errors: errors))
        }
        // Nothing left may refer to what is deleted.
        for case .delete(let stored) in plan.actions {
            let key = stored.document.key
            var withDeleted = after
            withDeleted[key] = stored.document
            let referrers = references.referrers(of: key, in: withDeleted).filter { after[$0] != nil }
            if !referrers.isEmpty {
                let list = referrers.map(\.description).joined(separator: ", ")
                problems.append(
                    InputProblem(
                        location: nil,
                        key: key,
                        errors: [
                            FieldError(
                                path: "",
                                reason:
                                    "cannot be deleted: \(list) still refer\(referrers.count == 1 ? "s" : "") to it; change or delete them first"
                            )
                        ]
                    )
                )
            }
            for kind in Self.referrerKinds(of: key.kind) {
                plan.folderChecks[kind] = current.folderVersions[kind] ?? 0
            }
        }
        // What referred to an updated document must still resolve after the update (a Deploy
        // moved to another app or environment would leave its Routes pointing at nothing).
        let before = current.allDocuments
        for case .update(let from, let to) in plan.actions {
            if to.kind == .deploy,
                from.document.spec["app"] != to.spec["app"]
                    || from.document.spec["environment"] != to.spec["environment"]
            {
                // A Route to the old app and environment created meanwhile must not slip by.
                plan.folderChecks[.route] = current.folderVersions[.route] ?? 0
            }
            let stranded = references.referrers(of: from.document.key, in: before)
                .compactMap { after[$0] }
                .filter { references.check([$0], in: after)[$0.key] != nil }
            guard !stranded.isEmpty else { continue }
            let list = stranded.map(\.key.description).sorted().joined(separator: ", ")
            problems.append(
                InputProblem(
                    location: locations[to.key] ?? nil,
                    key: to.key,
                    errors: [
                        FieldError(
                            path: "",
                            reason:
                                "this change leaves \(list) referring to nothing; change or delete \(stranded.count == 1 ? "it" : "them") in the same apply"
                        )
                    ]
                )
            )
        }
        if !problems.isEmpty { throw .invalid(problems) }
        // Every kind written or deleted has its folder bumped: the folder's version then moves
        // with each change of its documents (what a remembered snapshot is checked by).
        for action in plan.actions {
            plan.folderBumps[action.key.kind] = current.folderVersions[action.key.kind] ?? 0
        }
        // Guard against a concurrent delete of what the written documents refer to.
        let writtenKeys = Set(written.map(\.key))
        for document in written {
            let refs = references.references(of: document)
            for ref in refs where !writtenKeys.contains(ref.to) {
                if let stored = current.documents[ref.to] { plan.checks[ref.to] = stored.version }
            }
            if document.kind == .route, let app = document.spec["pool"]?["app"],
                let env = document.spec["pool"]?["environment"]
            {
                for stored in current.documents.values
                where stored.document.kind == .deploy && stored.document.spec["app"] == app
                    && stored.document.spec["environment"] == env && !writtenKeys.contains(stored.document.key)
                {
                    plan.checks[stored.document.key] = stored.version
                }
            }
        }
    }
}
