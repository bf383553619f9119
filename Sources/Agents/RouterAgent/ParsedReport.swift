import ZKModel

/// An instance report as parsed once per version, held by reference: a build and its base hold
/// every routed report (50,000 at scale). Only what routing reads is kept, field by field (an
/// `InstanceStatus` inside made each about 260 bytes, most of them its unused optionals): the
/// container id (64 characters), the last error and the like are dropped.
final class ParsedReport: Sendable {
    let app: String
    let environment: String
    let host: String
    let port: Int
    let healthy: Bool
    let standby: Bool?
    let supervisor: String?
    let session: String?
    let containerAddress: String?
    let reaches: [String]?

    init(
        app: String,
        environment: String,
        host: String,
        port: Int,
        healthy: Bool,
        standby: Bool?,
        supervisor: String?,
        session: String?,
        containerAddress: String?,
        reaches: [String]?
    ) {
        self.app = app
        self.environment = environment
        self.host = host
        self.port = port
        self.healthy = healthy
        self.standby = standby
        self.supervisor = supervisor
        self.session = session
        self.containerAddress = containerAddress
        self.reaches = reaches
    }

    convenience init(_ status: InstanceStatus) {
        self.init(
            app: status.app,
            environment: status.environment,
            host: status.host,
            port: status.port,
            healthy: status.healthy,
            standby: status.standby,
            supervisor: status.supervisor,
            session: status.session,
            containerAddress: status.containerAddress,
            reaches: status.reaches
        )
    }

    /// The report with what routing reads (the rest left out).
    var status: InstanceStatus {
        var routed = InstanceStatus(app: app, environment: environment, host: host, port: port, healthy: healthy)
        routed.supervisor = supervisor
        routed.standby = standby
        routed.session = session
        routed.containerAddress = containerAddress
        routed.reaches = reaches
        return routed
    }

    /// Its pool's name (`app/<app>/<environment>`).
    var pool: String { RouterReport.poolName(app: app, environment: environment) }

    /// Whether routers send it traffic (if current): `InstanceStatus.serving`.
    var serving: Bool { InstanceStatus.serving(healthy: healthy, standby: standby) }

    /// `InstanceStatus.isCurrent`.
    func isCurrent(registrationOwner owner: Int64?) -> Bool {
        InstanceStatus.isCurrent(session: session, registrationOwner: owner)
    }
}
