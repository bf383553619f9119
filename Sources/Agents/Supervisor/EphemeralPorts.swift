import Foundation

/// The kernel's ephemeral ports: the local ports it gives outgoing connections
/// (`net.ipv4.ip_local_port_range`), less those kept out of it (`net.ipv4.ip_local_reserved_ports`).
/// An instance port in that range can be held for a while by any connection on the host (and by
/// its TIME_WAIT afterwards), so publishing on it fails now and then: Kubernetes keeps NodePorts
/// below it for the same reason.
public struct EphemeralPorts: Sendable, Equatable {
    public var range: ClosedRange<Int>
    public var reserved: [ClosedRange<Int>]

    public init(range: ClosedRange<Int>, reserved: [ClosedRange<Int>] = []) {
        self.range = range
        self.reserved = reserved
    }

    /// This host's, or nil where /proc does not say (not Linux).
    public static func current() -> EphemeralPorts? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else {
            return nil
        }
        let reserved =
            (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_reserved_ports", encoding: .utf8)) ?? ""
        return parse(range: text, reserved: reserved)
    }

    /// `range` as /proc writes it ("32768\t60999\n"); `reserved` a comma list of ports and ranges ("8080,9000-9100").
    public static func parse(range: String, reserved: String) -> EphemeralPorts? {
        let bounds = range.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        let kept = reserved.split(whereSeparator: { $0 == "," || $0.isWhitespace }).compactMap {
            item -> ClosedRange<Int>? in
            let ends = item.split(separator: "-").compactMap { Int($0) }
            switch ends.count {
            case 1: return ends[0]...ends[0]
            case 2 where ends[0] <= ends[1]: return ends[0]...ends[1]
            default: return nil
            }
        }
        return EphemeralPorts(range: bounds[0]...bounds[1], reserved: kept)
    }

    /// How many of `ports` the kernel may hand to an outgoing connection.
    public func exposed(_ ports: ClosedRange<Int>) -> Int {
        guard ports.overlaps(range) else { return 0 }
        let shared = ports.clamped(to: range)
        return shared.count { port in !reserved.contains { $0.contains(port) } }
    }

    /// A warning for an instance port range that shares ports with this one, or nil.
    public func warning(for ports: ClosedRange<Int>) -> String? {
        let count = exposed(ports)
        guard count > 0 else { return nil }
        return
            "\(count) of the instance ports \(ports.lowerBound)-\(ports.upperBound) lie in the kernel's ephemeral range "
            + "\(range.lowerBound)-\(range.upperBound) (net.ipv4.ip_local_port_range): an outgoing connection can hold one "
            + "and publishing on it then fails; choose ports below \(range.lowerBound), or list them in "
            + "net.ipv4.ip_local_reserved_ports"
    }
}
