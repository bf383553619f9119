/// An error as the API returns it: RFC 9457 problem details (`application/problem+json`), with
/// Atlantis's own `code` and, for documents that failed validation, every problem found.
public struct Problem: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, one word per kind of failure; the CLI's exit code follows from it.
    public enum Code: String, Codable, Sendable, CaseIterable {
        /// The documents or the request are wrong: fix them (exit 2).
        case invalidInput = "invalid-input"
        /// The request itself cannot be read: malformed JSON, an unknown field (exit 2).
        case badRequest = "bad-request"
        /// The body is above the stated limit (exit 2).
        case tooLarge = "too-large"
        /// The body is not JSON (or YAML, where accepted) (exit 2).
        case unsupportedMediaType = "unsupported-media-type"
        /// Someone else changed it first: read it again and retry (exit 3).
        case conflict
        /// The manager cannot reach ZooKeeper, or the manager itself cannot be reached (exit 4).
        case unreachable
        /// The write may or may not have happened: look before retrying (exit 4).
        case unknownOutcome = "unknown-outcome"
        /// The request took longer than its deadline (exit 4).
        case timeout
        /// No such document, release or route (exit 5).
        case notFound = "not-found"
        /// Not allowed for this caller (exit 6).
        case forbidden
        /// No credentials, or credentials that are wrong, expired or revoked: log in (exit 7).
        case unauthorized
        /// Too many attempts (logins): wait and try again (exit 8).
        case tooManyRequests = "too-many-requests"
        /// The directory (LDAP) cannot be asked, so nothing is allowed: writes fail closed (exit 4).
        case directoryUnavailable = "directory-unavailable"
        /// The method does not apply to this path (exit 2).
        case methodNotAllowed = "method-not-allowed"
        /// A fault in the manager itself (exit 1).
        case `internal`

        public var status: Int {
            switch self {
            case .invalidInput: return 422
            case .badRequest: return 400
            case .tooLarge: return 413
            case .unsupportedMediaType: return 415
            case .conflict: return 409
            case .unreachable, .unknownOutcome: return 503
            case .timeout: return 504
            case .notFound: return 404
            case .forbidden: return 403
            case .unauthorized: return 401
            case .tooManyRequests: return 429
            case .directoryUnavailable: return 503
            case .methodNotAllowed: return 405
            case .internal: return 500
            }
        }

        public var title: String {
            switch self {
            case .invalidInput: return "Invalid documents"
            case .badRequest: return "Bad request"
            case .tooLarge: return "Request body too large"
            case .unsupportedMediaType: return "Unsupported media type"
            case .conflict: return "Conflict"
            case .unreachable: return "ZooKeeper unreachable"
            case .unknownOutcome: return "Outcome unknown"
            case .timeout: return "Deadline exceeded"
            case .notFound: return "Not found"
            case .forbidden: return "Forbidden"
            case .unauthorized: return "Unauthorized"
            case .tooManyRequests: return "Too many requests"
            case .directoryUnavailable: return "Directory unavailable"
            case .methodNotAllowed: return "Method not allowed"
            case .internal: return "Internal error"
            }
        }

        /// The `atlantis` exit code that stands for this problem.
        public var exitCode: Int32 {
            switch self {
            case .invalidInput, .badRequest, .tooLarge, .unsupportedMediaType, .methodNotAllowed: return 2
            case .conflict: return 3
            case .unreachable, .unknownOutcome, .timeout, .directoryUnavailable: return 4
            case .notFound: return 5
            case .forbidden: return 6
            case .unauthorized: return 7
            case .tooManyRequests: return 8
            case .internal: return 1
            }
        }
    }

    /// One thing wrong with one document: where it came from, which document, which field, why.
    public struct Entry: Codable, Sendable, Hashable {
        public var file: String?
        /// 1-based position of the document in its file.
        public var document: Int?
        /// `Kind "name"`, when the document got that far.
        public var key: String?
        /// The field, e.g. `spec.instances` (empty for the document as a whole).
        public var field: String
        public var reason: String

        public init(file: String?, document: Int?, key: String?, field: String, reason: String) {
            self.file = file
            self.document = document
            self.key = key
            self.field = field
            self.reason = reason
        }
    }

    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var code: Code
    public var problems: [Entry]?

    public init(_ code: Code, _ detail: String, problems: [Entry]? = nil) {
        self.type = "urn:atlantis:problem:\(code.rawValue)"
        self.title = code.title
        self.status = code.status
        self.detail = detail
        self.code = code
        self.problems = problems
    }

    public static let mediaType = "application/problem+json"

    public var description: String {
        let lines = (problems ?? []).map { entry -> String in
            var head = entry.file.map { "\($0): document \(entry.document ?? 0)" } ?? ""
            if let key = entry.key { head += head.isEmpty ? key : " (\(key))" }
            let field = entry.field.isEmpty ? entry.reason : "\(entry.field): \(entry.reason)"
            return head.isEmpty ? field : "\(head): \(field)"
        }
        return (lines + [detail]).joined(separator: "\n")
    }
}
