import Testing
import ZKModel

/// A spec asking for what would break team boundaries is refused, with the reason named.
@Suite("isolation-breaking fields")
struct IsolationFieldsTests {
    static func app(_ extra: String) throws -> JSONValue {
        try JSONValue.parse(
            #"{"apiVersion":"atlantis/v1","kind":"App","metadata":{"name":"shop"},"spec":{"team":"storefront","port":8080,"#
                + extra + "}}"
        )
    }

    @Test(arguments: [
        (#""privileged":true"#, "spec.privileged", "privileged containers are refused"),
        (#""hostNetwork":true"#, "spec.hostNetwork", "host networking is refused"),
        (#""volumes":[{"hostPath":"/"}]"#, "spec.volumes", "host mounts are refused"),
        (#""binds":["/:/host"]"#, "spec.binds", "host mounts are refused"),
        (#""networkMode":"host""#, "spec.networkMode", "network"),
        (#""capAdd":["SYS_ADMIN"]"#, "spec.capAdd", "capabilities are refused"),
    ])
    func isRefusedWithItsReason(field: String, path: String, reason: String) throws {
        guard case .failure(let invalid) = DocumentValidator().validate(try Self.app(field)) else {
            Issue.record("\(field) was accepted")
            return
        }
        let error = try #require(invalid.errors.first { $0.path.description == path })
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func anOrdinaryUnknownFieldKeepsItsReason() throws {
        guard case .failure(let invalid) = DocumentValidator().validate(try Self.app(#""prot":8080"#)) else {
            Issue.record("accepted")
            return
        }
        #expect(invalid.errors.map(\.description).contains("spec.prot: is not a known field"))
    }
}
