/// Turns raw JSON into a `Document` or says exactly what is wrong with it.
public struct DocumentValidator: Sendable {
    public let schemas: SchemaValidator

    public init(schemas: SchemaValidator = .embedded) {
        self.schemas = schemas
    }

    /// Validates the envelope and the kind's schema; on success returns the typed document.
    public func validate(_ value: JSONValue) -> Result<Document, DocumentInvalid> {
        guard case .object(let top) = value else {
            return .failure(
                DocumentInvalid(
                    kind: nil,
                    name: nil,
                    errors: [
                        FieldError(
                            path: "",
                            reason: "must be an object with apiVersion, kind, metadata and spec, not \(value.typeName)"
                        )
                    ]
                )
            )
        }
        let name = top["metadata"]?["name"]?.stringValue
        guard let kindName = top["kind"]?.stringValue else {
            return .failure(
                DocumentInvalid(kind: nil, name: name, errors: [FieldError(path: "kind", reason: "is required")])
            )
        }
        guard let kind = Kind(rawValue: kindName) else {
            let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(
                DocumentInvalid(
                    kind: nil,
                    name: name,
                    errors: [
                        FieldError(path: "kind", reason: "unknown kind \"\(kindName)\" (known: \(known))")
                    ]
                )
            )
        }
        if let version = top["apiVersion"]?.stringValue, version != Document.apiVersion {
            return .failure(
                DocumentInvalid(
                    kind: kind,
                    name: name,
                    errors: [
                        FieldError(
                            path: "apiVersion",
                            reason: "unsupported version \"\(version)\" (this Atlantis reads \(Document.apiVersion))"
                        )
                    ]
                )
            )
        }
        let errors = IsolationFields.explain(schemas.validate(value, against: kind.schemaFile))
        guard errors.isEmpty else { return .failure(DocumentInvalid(kind: kind, name: name, errors: errors)) }
        let meta = top["metadata"]!
        let labels = (meta["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        return .success(
            Document(
                kind: kind,
                metadata: .init(
                    name: name!,
                    labels: labels,
                    generation: meta["generation"]?.intValue,
                    source: meta["source"]?.stringValue
                ),
                spec: top["spec"]!
            )
        )
    }
}

/// A document that failed validation, with every problem found.
public struct DocumentInvalid: Error, Hashable, Sendable, CustomStringConvertible {
    public var kind: Kind?
    public var name: String?
    public var errors: [FieldError]

    public init(kind: Kind?, name: String?, errors: [FieldError]) {
        self.kind = kind
        self.name = name
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "; ") }
}

extension SchemaValidator {
    /// The schemas in `schemas/`, compiled into the binary.
    public static let embedded: SchemaValidator = {
        var documents: [String: JSONValue] = [:]
        for (file, text) in EmbeddedSchemas.files {
            documents[file] = try! JSONValue.parse(text)
        }
        return SchemaValidator(documents: documents)
    }()
}
