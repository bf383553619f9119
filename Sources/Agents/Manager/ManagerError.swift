public import ZKModel

/// Why the manager refused or failed a request. Nothing was written when this is thrown,
/// except for `.unknownOutcome`.
public struct ManagerError: Error, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The input is wrong: fix the documents.
        case invalidInput
        /// Someone else changed the stored state first: re-read and retry.
        case conflict
        /// ZooKeeper could not be reached.
        case unreachable
        case notFound
        /// Not allowed for this identity.
        case forbidden
        /// The connection dropped during the write and re-reading could not settle it.
        case unknownOutcome
    }

    public let code: Code
    public let problems: [InputProblem]
    public let message: String

    public init(_ code: Code, _ message: String, problems: [InputProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    public static func invalid(_ problems: [InputProblem]) -> ManagerError {
        let count = problems.reduce(0) { $0 + max($1.errors.count, 1) }
        return ManagerError(
            .invalidInput,
            "\(count) problem\(count == 1 ? "" : "s") found; nothing was written",
            problems: problems
        )
    }

    public var description: String {
        (problems.map(\.description) + [message]).joined(separator: "\n")
    }

    /// The process exit code for this error.
    public var exitCode: Int32 {
        switch code {
        case .invalidInput: return 2
        case .conflict: return 3
        case .unreachable, .unknownOutcome: return 4
        case .notFound: return 5
        case .forbidden: return 6
        }
    }
}

/// Where a document came from: a file and its position there.
public struct DocumentLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based position of the document in its file.
    public var index: Int

    public init(file: String, index: Int) {
        self.file = file
        self.index = index
    }

    public var description: String { "\(file): document \(index)" }
}

/// What is wrong with one document.
public struct InputProblem: Hashable, Sendable, CustomStringConvertible {
    public var location: DocumentLocation?
    public var key: DocumentKey?
    public var kindName: String?
    public var errors: [FieldError]

    public init(location: DocumentLocation?, key: DocumentKey? = nil, kindName: String? = nil, errors: [FieldError]) {
        self.location = location
        self.key = key
        self.kindName = kindName
        self.errors = errors
    }

    public var description: String {
        var head = location.map(\.description) ?? ""
        if let key {
            head += head.isEmpty ? "\(key)" : " (\(key))"
        }
        return errors.map { error in
            let field = error.path.components.isEmpty ? error.reason : error.description
            return head.isEmpty ? field : "\(head): \(field)"
        }.joined(separator: "\n")
    }
}
