/// Checks what documents refer to: an App's team and services, a Deploy's app and zones, a
/// Route's pool. Works over the whole set of documents as it would be after a change.
public struct ReferenceChecker: Sendable {
    public init() {}

    /// One reference from a document to another.
    public struct Reference: Hashable, Sendable {
        public var from: DocumentKey
        public var field: FieldPath
        public var to: DocumentKey
    }

    /// Every reference a document makes. (A Route to an app's environment refers to the Deploy of
    /// that app and environment, whatever its name: see `poolDeploy`.)
    public func references(of document: Document) -> [Reference] {
        let from = document.key
        var out: [Reference] = []
        func add(_ field: FieldPath, _ kind: Kind, _ name: String?) {
            if let name { out.append(Reference(from: from, field: field, to: DocumentKey(kind: kind, name: name))) }
        }
        let spec = document.spec
        switch document.kind {
        case .app:
            add(["spec", "team"], .team, spec["team"]?.stringValue)
            if case .array(let services)? = spec["dependsOn"] {
                for (i, s) in services.enumerated() {
                    add(FieldPath(["spec", "dependsOn"]).appending(i), .service, s.stringValue)
                }
            }
            if case .array(let apps)? = spec["dependsOnApps"] {
                for (i, a) in apps.enumerated() {
                    add(
                        FieldPath(["spec", "dependsOnApps"]).appending(i).appending("app"),
                        .app,
                        a["app"]?.stringValue
                    )
                }
            }
        case .deploy:
            add(["spec", "app"], .app, spec["app"]?.stringValue)
            if case .array(let zones)? = spec["zones"]?["only"] {
                for (i, z) in zones.enumerated() {
                    add(FieldPath(["spec", "zones", "only"]).appending(i), .zone, z.stringValue)
                }
            }
        case .route:
            add(["spec", "pool", "service"], .service, spec["pool"]?["service"]?.stringValue)
            add(["spec", "pool", "app"], .app, spec["pool"]?["app"]?.stringValue)
        case .team, .zone, .service, .template:
            break
        }
        return out
    }

    /// Problems with the references of `documents` against the complete set `all`.
    public func check(_ documents: [Document], in all: [DocumentKey: Document]) -> [DocumentKey: [FieldError]] {
        var problems: [DocumentKey: [FieldError]] = [:]
        var deploysByPool: [String: [String]] = [:]
        for d in all.values where d.kind == .deploy {
            if let app = d.spec["app"]?.stringValue, let env = d.spec["environment"]?.stringValue {
                deploysByPool["\(app)/\(env)", default: []].append(d.name)
            }
        }
        for document in documents {
            var errors: [FieldError] = []
            for ref in references(of: document) where all[ref.to] == nil {
                errors.append(FieldError(path: ref.field, reason: "refers to \(ref.to), which does not exist"))
            }
            if document.kind == .route, let app = document.spec["pool"]?["app"]?.stringValue,
                let env = document.spec["pool"]?["environment"]?.stringValue,
                all[DocumentKey(kind: .app, name: app)] != nil, deploysByPool["\(app)/\(env)"] == nil
            {
                errors.append(
                    FieldError(
                        path: ["spec", "pool", "environment"],
                        reason: "no Deploy runs app \"\(app)\" in environment \"\(env)\""
                    )
                )
            }
            if document.kind == .deploy, let app = document.spec["app"]?.stringValue,
                let env = document.spec["environment"]?.stringValue,
                let others = deploysByPool["\(app)/\(env)"], others.count > 1
            {
                let names = others.filter { $0 != document.name }.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                errors.append(
                    FieldError(
                        path: ["spec", "environment"],
                        reason:
                            "Deploy \(names) already runs app \"\(app)\" in environment \"\(env)\": one Deploy per app and environment"
                    )
                )
            }
            if !errors.isEmpty { problems[document.key] = errors }
        }
        return problems
    }

    /// Documents in `all` that refer to `key` (what a deletion would leave dangling).
    public func referrers(of key: DocumentKey, in all: [DocumentKey: Document]) -> [DocumentKey] {
        var out: [DocumentKey] = []
        for d in all.values where d.key != key {
            if references(of: d).contains(where: { $0.to == key }) { out.append(d.key) }
            // A Route reaches an app's environment through its Deploy.
            if key.kind == .deploy, d.kind == .route, let deploy = all[key],
                d.spec["pool"]?["app"] == deploy.spec["app"],
                d.spec["pool"]?["environment"] == deploy.spec["environment"],
                !all.values.contains(where: {
                    $0.kind == .deploy && $0.key != key && $0.spec["app"] == deploy.spec["app"]
                        && $0.spec["environment"] == deploy.spec["environment"]
                })
            {
                out.append(d.key)
            }
        }
        return Array(Set(out)).sorted()
    }
}
