/// A request the Engine refused or could not answer, with the Engine's own message.
public struct DockerError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The Engine's socket did not answer (dockerd not running, wrong path).
        case unreachable
        /// 404: no such container or image.
        case notFound
        /// 409: a name in use, a container already started or being removed.
        case conflict
        /// Any other refusal; the HTTP status is in `status`.
        case refused
        /// The image could not be pulled (bad reference, unknown repository, registry down).
        case pullFailed
        /// A build step failed (the message names it and what it printed).
        case buildFailed
        /// The image could not be pushed (registry down, refused).
        case pushFailed
        /// The Engine answered with something that is not what its API documents.
        case badResponse
    }

    public let code: Code
    public let status: Int
    public let operation: String
    public let message: String

    public init(code: Code, status: Int = 0, operation: String, message: String) {
        self.code = code
        self.status = status
        self.operation = operation
        self.message = message
    }

    public var description: String {
        let status = self.status > 0 ? " (HTTP \(self.status))" : ""
        return "docker \(operation) failed\(status): \(message)"
    }
}
