/// A running builder, in `<root>/agents/builders/<id>` (ephemeral): where it serves build logs.
public struct BuilderRegistration: Codable, Hashable, Sendable {
    public var apiVersion: String = Document.apiVersion
    public var kind: String = "BuilderRegistration"
    public var builder: String
    /// `http://host:port` of its log endpoint.
    public var logURL: String
    public var workers: Int

    public init(builder: String, logURL: String, workers: Int) {
        self.builder = builder
        self.logURL = logURL
        self.workers = workers
    }
}
