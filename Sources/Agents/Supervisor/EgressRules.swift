import Foundation

/// The filter table inside one container's network namespace: everything the container sends
/// goes through `ATLANTIS-EGRESS`, which accepts loopback, replies to connections made to the
/// container, and the declared Service endpoints, and rejects everything else (tcp with a reset,
/// other protocols with port-unreachable, so that a blocked call fails at once instead of
/// timing out). The whole table is written in one `iptables-restore`: atomic, and never a rule
/// twice however often it is applied.
struct EgressRules: Hashable, Sendable {
    struct Allowed: Hashable, Sendable, Comparable {
        var service: String
        /// An IPv4 address.
        var address: String
        var port: Int
        var udp: Bool

        static func < (a: Allowed, b: Allowed) -> Bool {
            (a.service, a.address, a.port, a.udp ? 1 : 0) < (b.service, b.address, b.port, b.udp ? 1 : 0)
        }
    }

    static let chain = "ATLANTIS-EGRESS"
    let allowed: [Allowed]

    init(allowed: [Allowed]) {
        self.allowed = Array(Set(allowed)).sorted()
    }

    /// The rules as `iptables -S` prints them, in order.
    var listing: [String] {
        var lines = [
            "-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT", "-N \(Self.chain)",
            "-A OUTPUT -j \(Self.chain)",
        ]
        lines.append("-A \(Self.chain) -o lo -j ACCEPT")
        lines.append("-A \(Self.chain) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        for a in allowed {
            let proto = a.udp ? "udp" : "tcp"
            lines.append(
                "-A \(Self.chain) -d \(a.address)/32 -p \(proto) -m \(proto) --dport \(a.port) -m comment --comment \"service \(a.service)\" -j ACCEPT"
            )
        }
        lines.append("-A \(Self.chain) -p tcp -j REJECT --reject-with tcp-reset")
        lines.append("-A \(Self.chain) -j REJECT --reject-with icmp-port-unreachable")
        return lines
    }

    /// Input for `iptables-restore` (which replaces the filter table as a whole).
    var restoreInput: String {
        var text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:\(Self.chain) - [0:0]\n"
        for line in listing where line.hasPrefix("-A ") { text += line + "\n" }
        return text + "COMMIT\n"
    }

    /// Whether `iptables -S` output shows exactly these rules.
    func matches(listing actual: String) -> Bool {
        actual.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } == listing
    }
}
