/// Every operation the manager's API serves: the server registers exactly these, and the
/// OpenAPI document in `schemas/openapi.json` must list exactly these (a test compares them).
public struct APIRoute: Hashable, Sendable, CustomStringConvertible {
    public var method: String
    /// OpenAPI's spelling: `/v1/{kind}/{name}`.
    public var path: String

    public init(_ method: String, _ path: String) {
        self.method = method
        self.path = path
    }

    public var description: String { "\(method) \(path)" }

    /// Hummingbird's spelling of the path: `/v1/:kind/:name`.
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : part
        }.joined(separator: "/")
    }
}
