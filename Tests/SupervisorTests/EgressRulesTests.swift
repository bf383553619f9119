import Foundation
import Testing

@testable import Supervisor

@Suite struct EgressRulesTests {
    let rules = EgressRules(allowed: [
        .init(service: "db", address: "10.0.0.5", port: 5432, udp: false),
        .init(service: "dns", address: "10.0.0.53", port: 53, udp: true),
        .init(service: "db", address: "10.0.0.5", port: 5432, udp: false),  // a duplicate
    ])

    @Test func acceptsLoopbackRepliesAndDeclaredEndpointsThenRejects() {
        #expect(
            rules.listing == [
                "-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT", "-N ATLANTIS-EGRESS",
                "-A OUTPUT -j ATLANTIS-EGRESS",
                "-A ATLANTIS-EGRESS -o lo -j ACCEPT",
                "-A ATLANTIS-EGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                #"-A ATLANTIS-EGRESS -d 10.0.0.5/32 -p tcp -m tcp --dport 5432 -m comment --comment "service db" -j ACCEPT"#,
                #"-A ATLANTIS-EGRESS -d 10.0.0.53/32 -p udp -m udp --dport 53 -m comment --comment "service dns" -j ACCEPT"#,
                "-A ATLANTIS-EGRESS -p tcp -j REJECT --reject-with tcp-reset",
                "-A ATLANTIS-EGRESS -j REJECT --reject-with icmp-port-unreachable",
            ]
        )
    }

    @Test func restoreInputReplacesTheWholeFilterTableOnce() {
        let text = rules.restoreInput
        #expect(
            text.hasPrefix(
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:ATLANTIS-EGRESS - [0:0]\n"
            )
        )
        #expect(text.hasSuffix("COMMIT\n"))
        #expect(text.components(separatedBy: "-A OUTPUT -j ATLANTIS-EGRESS").count == 2)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("-A ") }.count == rules.listing.count - 4)
    }

    @Test func matchesOnlyTheExactListing() {
        let listing = rules.listing.joined(separator: "\n") + "\n"
        #expect(rules.matches(listing: listing))
        #expect(!rules.matches(listing: listing + "-A ATLANTIS-EGRESS -j ACCEPT\n"))
        #expect(!rules.matches(listing: listing.replacingOccurrences(of: "5432", with: "5433")))
        #expect(!EgressRules(allowed: []).matches(listing: listing))
    }
}
