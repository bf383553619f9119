import ZKModel

/// An instance report as parsed once per version, held by reference: a build and its base hold
/// every routed report (50,000 at scale), and the struct is about 300 bytes a copy. Only what
/// routing reads is kept: the container id (64 characters, stored apart from the struct), the
/// last error and the like are dropped.
final class ParsedReport: Sendable {
    let status: InstanceStatus

    init(_ status: InstanceStatus) {
        var routed = InstanceStatus(
            app: status.app,
            environment: status.environment,
            host: status.host,
            port: status.port,
            healthy: status.healthy
        )
        routed.supervisor = status.supervisor
        routed.standby = status.standby
        routed.session = status.session
        routed.containerAddress = status.containerAddress
        routed.reaches = status.reaches
        self.status = routed
    }
}
