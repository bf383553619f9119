public import ZKModel

/// A Route as the table is built from it: its name and its decoded spec. Routers decode each
/// version of a Route once (when it is read), not on every rebuild of the table: at 10,000
/// Routes the decoding was most of a rebuild's time.
public struct ParsedRoute: Sendable, Hashable {
    public var name: String
    public var spec: RouteSpec

    public init(name: String, spec: RouteSpec) {
        self.name = name
        self.spec = spec
    }

    /// The Route in `document`; throws what is wrong with its spec.
    public init(_ document: Document) throws {
        self.init(name: document.name, spec: try document.decodeSpec(RouteSpec.self))
    }
}
