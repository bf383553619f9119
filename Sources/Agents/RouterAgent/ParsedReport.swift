import ZKModel

/// An instance report as parsed once per version, held by reference: a build and its base hold
/// every routed report (50,000 at scale), and the struct is about 300 bytes a copy.
final class ParsedReport: Sendable {
    let status: InstanceStatus

    init(_ status: InstanceStatus) {
        self.status = status
    }
}
