import Foundation
import Hummingbird
import Manager
import ManagerAPI
import ZKModel

extension ManagerRoutes {
    /// A name from the path: what a document may be named, so that nothing outside its folder
    /// (`..`, `/`, control characters) is ever turned into a znode path.
    func name(_ text: String, of what: String = "name") throws -> String {
        let valid =
            text.utf8.count <= 253 && !text.isEmpty
            && text.unicodeScalars.allSatisfy { "abcdefghijklmnopqrstuvwxyz0123456789-.".unicodeScalars.contains($0) }
            && text.first != "." && text.first != "-" && !text.contains("..")
        guard valid else {
            throw Problem(
                .badRequest,
                "\(what) \"\(text)\" is not a valid name: lower-case letters, digits, '-' and '.', starting with a letter or digit"
            )
        }
        return text
    }

    func source(_ text: String?) throws -> String {
        let source = text ?? "api"
        guard (try? Regex("^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$")).map({ source.wholeMatch(of: $0) != nil }) == true
        else {
            throw Problem(.badRequest, "source \"\(source)\" must be lower-case letters, digits, '-', '_' or '.'")
        }
        return source
    }

    /// `If-Match: "7"` (or `7`): the version the caller read; `*` or none: any.
    func ifMatch(_ request: Request) throws -> Int32? {
        guard let value = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*" else {
            return nil
        }
        let bare = value.hasPrefix("W/") ? String(value.dropFirst(2)) : value
        guard let version = Int32(bare.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) else {
            throw Problem(
                .badRequest,
                "If-Match must be a version as GET returned it in ETag, e.g. \"3\"; got \(value)"
            )
        }
        return version
    }

    func apply(_ request: Request, diff: Bool) async throws -> Response {
        let body = try await RequestBody.read(
            request,
            limit: configuration.maxBodyBytes,
            maxNesting: configuration.maxNesting,
            yaml: true
        )
        let query = request.uri.queryParameters
        var loaded: [LoadedDocument]
        var options = Manager.ApplyOptions()
        if body.media == .yaml {
            loaded = try body.documents()
            options.source = try source(query["source"].map(String.init))
            options.prune = query["prune"] == "true"
            options.dryRun = query["dryRun"] == "true"
        } else {
            let value = try body.json()
            let parsed = try value.decode(ApplyRequest.self, allowed: ApplyRequest.fields)
            if case .array(let items)? = value["documents"] {
                for (i, item) in items.enumerated() {
                    if let field = StrictFields.unknown(
                        in: item,
                        allowed: ApplyRequest.itemFields,
                        path: "documents[\(i)]"
                    ) {
                        throw Problem(
                            .badRequest,
                            "unknown field \"\(field)\" (known: \(ApplyRequest.itemFields.sorted().joined(separator: ", ")))"
                        )
                    }
                }
            }
            loaded = parsed.documents.enumerated().map { i, item in
                LoadedDocument(
                    location: DocumentLocation(file: item.file ?? "request", index: item.index ?? i + 1),
                    value: item.document,
                    expectedVersion: item.ifVersion
                )
            }
            options.source = try source(parsed.source)
            options.prune = parsed.prune ?? false
            options.dryRun = parsed.dryRun ?? false
        }
        if diff { options.dryRun = true }
        if loaded.isEmpty && options.prune {
            throw Problem(
                .invalidInput,
                "no documents to apply with prune: that would delete everything source \"\(options.source)\" applied; refused"
            )
        }
        let (documents, settings) = (loaded, options)
        let plan = try await run { () async throws(ManagerError) in
            try await manager.apply(documents, options: settings)
        }
        return try Reply.json(Self.result(plan, dryRun: settings.dryRun))
    }

    static func result(_ plan: ApplyPlan, dryRun: Bool) -> ApplyResult {
        let changes = plan.actions.sorted { $0.key < $1.key }.map { action -> ApplyResult.Change in
            let verb: ApplyResult.Change.Action
            switch action {
            case .create: verb = .create
            case .update: verb = .update
            case .delete: verb = .delete
            }
            return ApplyResult.Change(action: verb, kind: action.key.kind, name: action.key.name)
        }
        return ApplyResult(
            changes: changes,
            unchanged: plan.unchanged.sorted().map { ApplyResult.Ref(kind: $0.kind, name: $0.name) },
            dryRun: dryRun,
            diff: DocumentFormatter.describe(plan)
        )
    }

    func list(_ request: Request, kind: Kind) async throws -> Response {
        let withStatus = request.uri.queryParameters["status"] == "true"
        let documents = try await read { try await reads.all(kind) }
        let statuses =
            withStatus
            ? try await run { () async throws(ManagerError) in try await manager.statuses(of: documents) } : [:]
        return try Reply.json(
            StoredList(items: documents.map { Self.item($0, status: statuses[$0.document.key]) })
        )
    }

    func one(_ request: Request, kind: Kind, name text: String) async throws -> Response {
        let key = DocumentKey(kind: kind, name: try name(text))
        let withStatus = request.uri.queryParameters["status"] == "true"
        // The hot path: from the watched copy, encoded once per version, no I/O (so no deadline).
        if !withStatus,
            let hit = try reads.encodedOne(key, encode: { Array(try Reply.encoder.encode(Self.item($0, status: nil))) })
        {
            return Reply.json(bytes: hit.body, etag: hit.version)
        }
        return try await withDeadline(configuration.requestDeadline) { try await oneRead(key, withStatus: withStatus) }
    }

    private func oneRead(_ key: DocumentKey, withStatus: Bool) async throws -> Response {
        guard let stored = try await read({ try await reads.one(key) }) else {
            throw Problem(.notFound, "\(key) does not exist")
        }
        let status =
            withStatus
            ? try await run { () async throws(ManagerError) in try await manager.statuses(of: [stored]) } : [:]
        return try Reply.json(Self.item(stored, status: status[key]), etag: stored.version)
    }

    static func item(_ stored: StoredDocument, status: ObjectStatus?) -> StoredItem {
        StoredItem(document: stored.document.json, version: stored.version, modified: stored.modified, status: status)
    }

    func put(_ request: Request, _ context: ManagerRequestContext, kind: Kind) async throws -> Response {
        let key = DocumentKey(kind: kind, name: try name(context.parameters.require("name")))
        let body = try await RequestBody.read(
            request,
            limit: configuration.maxBodyBytes,
            maxNesting: configuration.maxNesting,
            yaml: true
        )
        let documents = try body.documents()
        guard documents.count == 1, let only = documents.first else {
            throw Problem(.badRequest, "PUT takes exactly one document; it got \(documents.count) (use POST /v1/apply)")
        }
        if only.value["kind"]?.stringValue != key.kind.rawValue
            || only.value["metadata"]?["name"]?.stringValue != key.name
        {
            throw Problem(
                .badRequest,
                "the document is not \(key): its kind and metadata.name must be those of the path"
            )
        }
        let loaded = LoadedDocument(location: only.location, value: only.value, expectedVersion: try ifMatch(request))
        let options = Manager.ApplyOptions(
            source: try source(request.uri.queryParameters["source"].map(String.init)),
            dryRun: request.uri.queryParameters["dryRun"] == "true"
        )
        let plan = try await run { () async throws(ManagerError) in try await manager.apply([loaded], options: options)
        }
        return try Reply.json(Self.result(plan, dryRun: options.dryRun))
    }

    func delete(_ request: Request, _ context: ManagerRequestContext, kind: Kind) async throws -> Response {
        let key = DocumentKey(kind: kind, name: try name(context.parameters.require("name")))
        let expected = try ifMatch(request)
        let source = try source(request.uri.queryParameters["source"].map(String.init))
        let plan = try await run { () async throws(ManagerError) in
            try await manager.delete(key, source: source, expectedVersion: expected)
        }
        return try Reply.json(Self.result(plan, dryRun: false))
    }

    /// A read from ZooKeeper; failing to reach it is a 503 naming it.
    func read<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(Manager.map(error))
        }
    }
}
