import Foundation
import Testing
import ZKModel

@Suite struct PayloadTests {
    @Test func encodingSortsKeysSoTheSameValueGivesTheSameBytes() throws {
        var status = InstanceStatus(app: "web", environment: "prod", host: "127.0.0.1", port: 31000, healthy: true)
        status.state = .running
        let bytes = try Payload.encode(status)
        let text = String(decoding: bytes, as: UTF8.self)
        let keys = ["apiVersion", "app", "environment", "healthy", "host", "kind", "port", "state"]
        let positions = keys.map { text.range(of: "\"\($0)\"")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(text)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "keys in order: \(text)")
        #expect(try Payload.encode(status) == bytes)
        #expect(try Payload.decode(InstanceStatus.self, from: bytes, path: "/x") == status)
    }

    /// A value JSON cannot hold is refused, never written as something else (an empty payload).
    @Test func aValueThatCannotBeEncodedThrowsNamingItsType() {
        let fine = Placement.Instance(id: "a", host: "h", zone: "z", release: 1)
        #expect(throws: Never.self) { try Payload.encode(fine) }
        do {
            _ = try Payload.encode(["cpu": Double.nan])
            Issue.record("NaN was encoded")
        } catch {
            #expect(error.description.contains("cannot encode"), "\(error)")
            #expect(error.description.contains("nothing was written"), "\(error)")
        }
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        (#"{"apiVersion":"atlantis/v1","kind":"InstanceStatus","app":"web"}"#, "environment: missing"),
        (
            #"{"apiVersion":"atlantis/v1","kind":"InstanceStatus","app":"web","environment":"p","host":"h","port":"x","healthy":true}"#,
            "port"
        ),
        (
            #"{"apiVersion":"atlantis/v1","kind":"InstanceStatus","app":"web","environment":"p","host":"h","port":1,"healthy":true,"state":"dancing"}"#,
            "state"
        ),
    ])
    func aZnodeThatDoesNotDecodeIsNamedWithTheField(payload: String, field: String) {
        do {
            _ = try Payload.decode(
                InstanceStatus.self,
                from: Array(payload.utf8),
                path: "/atlantis/status/instances/web-1"
            )
            Issue.record("decoded \(payload)")
        } catch {
            #expect(error.path == "/atlantis/status/instances/web-1")
            #expect(
                error.description.contains("/atlantis/status/instances/web-1 does not hold a valid InstanceStatus"),
                "\(error)"
            )
            #expect(error.description.contains(field), "\(error)")
        }
    }

    /// The states an instance can report are the schema's, no more and no fewer.
    @Test func instanceStatesMatchTheSchema() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/instance-status.schema.json")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        let state = try #require(properties["state"] as? [String: Any])
        let values = try #require(state["enum"] as? [String])
        #expect(Set(values) == Set(InstanceState.allCases.map(\.rawValue)))
    }

    @Test func rolloutDefaultsFillWhatTheSpecLeavesOut() {
        var spec = DeploySpec(app: "web", environment: "prod", image: "i", instances: 2)
        #expect(
            spec.rolloutSettings
                == .init(maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 60, keepWarmSeconds: 120)
        )
        spec.rollout = .init(maxSurge: 3)
        spec.rollout?.keepWarmSeconds = 0
        #expect(spec.rolloutSettings.maxSurge == 3)
        #expect(spec.rolloutSettings.keepWarmSeconds == 0)
        #expect(spec.rolloutSettings.progressDeadlineSeconds == 60)
    }
}
