import Foundation
import Reconciler
import ZKModel
import ZooKeeper

#if canImport(Glibc)
import Glibc
#endif

/// Turns an instance's `dependsOn` into the endpoints its container may reach, from the
/// Service documents in the cache. Host names are resolved to IPv4 addresses here, so the
/// rules hold addresses (as iptables lists them). Unknown services and unresolvable hosts are
/// reported, not guessed.
struct EgressResolver: Sendable {
    let services: ZNodeCache
    /// This zone's internal router: app dependencies are reached through it, and only it.
    var internalRouter: InternalRouter? = nil
    var zone: String = ""

    func rules(for assignment: InstanceAssignment) -> (rules: EgressRules, problems: [String]) {
        var (allowed, problems) = Self.internalRules(for: assignment, router: internalRouter, zone: zone)
        for name in assignment.dependsOn ?? [] {
            guard let node = services.snapshot(name),
                let value = try? JSONValue.parse(String(decoding: node.data, as: UTF8.self)),
                let document = try? DocumentValidator().validate(value).get(),
                let spec = try? document.decodeSpec(ServiceSpec.self)
            else {
                problems.append("service \(name) is not defined")
                continue
            }
            let udp = spec.protocol_?.lowercased() == "udp"
            for endpoint in spec.endpoints {
                let addresses = Self.ipv4(endpoint.host)
                if addresses.isEmpty { problems.append("service \(name): cannot resolve \(endpoint.host)") }
                for address in addresses {
                    allowed.append(.init(service: name, address: address, port: endpoint.port, udp: udp))
                }
            }
        }
        return (EgressRules(allowed: allowed), problems)
    }

    /// App dependencies are reached through the zone's internal router, so that is the one
    /// endpoint they add; none without dependencies.
    static func internalRules(
        for assignment: InstanceAssignment,
        router: InternalRouter?,
        zone: String
    )
        -> (allowed: [EgressRules.Allowed], problems: [String])
    {
        guard let dependencies = assignment.dependsOnApps, !dependencies.isEmpty else { return ([], []) }
        guard let router else {
            let names = dependencies.map(\.hostName).joined(separator: ", ")
            return (
                [],
                [
                    "no internal router in zone \(zone): \(names) unreachable (start a router with --zone \(zone) --internal-listen)"
                ]
            )
        }
        return ([.init(service: "internal-router", address: router.address, port: router.port, udp: false)], [])
    }

    static func ipv4(_ host: String) -> [String] {
        var addr = in_addr()
        if inet_pton(AF_INET, host, &addr) == 1 { return [host] }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0 else { return [] }
        defer { freeaddrinfo(result) }
        var found: [String] = []
        var cursor = result
        while let info = cursor {
            if let sa = info.pointee.ai_addr {
                var sin = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                var buffer = [UInt8](repeating: 0, count: Int(INET_ADDRSTRLEN))
                inet_ntop(AF_INET, &sin.sin_addr, &buffer, socklen_t(INET_ADDRSTRLEN))
                found.append(String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self))
            }
            cursor = info.pointee.ai_next
        }
        return Array(Set(found)).sorted()
    }
}
