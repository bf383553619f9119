import ZKModel

/// The internal router of this supervisor's zone, from the routers' registrations: where its
/// containers' app dependencies are reached (the original's `internal-router.<zone>`).
struct InternalRouter: Hashable, Sendable {
    /// IPv4 address and port of its internal listener.
    let address: String
    let port: Int

    /// The zone's router with an internal listener (the first by id, so every supervisor of the
    /// zone picks the same one); nil when the zone has none.
    static func find(in routers: [(id: String, data: [UInt8])], zone: String) -> InternalRouter? {
        for (_, data) in routers.sorted(by: { $0.id < $1.id }) {
            guard let report = try? Payload.decode(RouterReport.self, from: data, path: "router"),
                report.zone == zone, let listen = report.internal,
                let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...])
            else { continue }
            return InternalRouter(address: String(listen[..<colon]), port: port)
        }
        return nil
    }

    /// What a container of `assignment` is given: one variable per dependency with its URL, and
    /// the `/etc/hosts` lines that send each dependency's name to this router.
    func wiring(for dependencies: [AppDependency]) -> (env: [String], hosts: [String]) {
        let env = dependencies.map { "\($0.variable)=http://\($0.hostName):\(port)" }
        let hosts = dependencies.map { "\($0.hostName):\(address)" }
        return (env, hosts)
    }
}
