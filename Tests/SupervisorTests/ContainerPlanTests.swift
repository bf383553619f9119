import Docker
import Foundation
import Testing
import ZKModel

@testable import Supervisor

@Suite struct ContainerPlanTests {
    let host = SupervisorConfiguration(hostID: "h1", zone: "z1", address: "127.0.0.1")
    let assignment = InstanceAssignment(
        instance: "web-prod-1",
        app: "web",
        environment: "prod",
        image: "atlantis/sample:v1",
        port: 8080,
        release: "r3",
        env: ["GREETING": "hi"],
        healthCheck: .init(path: "/health"),
        cpu: 0.5,
        memoryMB: 64,
        dependsOn: ["db"]
    )

    @Test func configCarriesLabelsEnvLimitsAndThePublishedPort() throws {
        let config = try ContainerPlan(assignment).config(host: host, hostPort: 32001, generation: 4, stopGrace: 7)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        let labels = json["Labels"] as! [String: String]
        #expect(labels["atlantis.host"] == "h1")
        #expect(labels["atlantis.instance"] == "web-prod-1")
        #expect(labels["atlantis.app"] == "web")
        #expect(labels["atlantis.environment"] == "prod")
        #expect(labels["atlantis.generation"] == "4")
        #expect(labels["atlantis.release"] == "r3")
        let env = Set(json["Env"] as! [String])
        for expected in [
            "GREETING=hi", "ATLANTIS_APP=web", "ATLANTIS_ENVIRONMENT=prod", "ATLANTIS_INSTANCE=web-prod-1",
            "ATLANTIS_ZONE=z1",
            "ATLANTIS_HOST=h1", "ATLANTIS_PORT=8080", "ATLANTIS_HOST_PORT=32001",
        ] {
            #expect(env.contains(expected), "missing \(expected)")
        }
        let hostConfig = json["HostConfig"] as! [String: Any]
        #expect(hostConfig["Memory"] as? Int == 64 << 20)
        #expect(hostConfig["NanoCpus"] as? Int == 500_000_000)
        #expect(hostConfig["Init"] as? Bool == true)
        let bindings = hostConfig["PortBindings"] as! [String: [[String: String]]]
        #expect(bindings["8080/tcp"] == [["HostIp": "127.0.0.1", "HostPort": "32001"]])
        #expect(json["StopTimeout"] as? Int == 7)
    }

    @Test func specHashChangesWithWhatMakesTheContainerOnly() throws {
        let base = try ContainerPlan(assignment).specHash
        var other = assignment
        other.healthCheck = .init(path: "/other")
        other.dependsOn = []
        #expect(try ContainerPlan(other).specHash == base)
        other.image = "atlantis/sample:v2"
        #expect(try ContainerPlan(other).specHash != base)
        other = assignment
        other.env = ["GREETING": "hello"]
        #expect(try ContainerPlan(other).specHash != base)
        other = assignment
        other.memoryMB = 128
        #expect(try ContainerPlan(other).specHash != base)
    }

    @Test func assignmentsAreValidatedAgainstTheirSchema() throws {
        let good = try JSONEncoder().encode(assignment)
        #expect(try InstanceReconciler.decode(Array(good)) == assignment)
        var bad = try JSONSerialization.jsonObject(with: good) as! [String: Any]
        bad["port"] = 70000
        #expect(throws: (any Error).self) {
            try InstanceReconciler.decode(Array(try JSONSerialization.data(withJSONObject: bad)))
        }
        bad["port"] = 8080
        bad["surprise"] = true
        do {
            _ = try InstanceReconciler.decode(Array(try JSONSerialization.data(withJSONObject: bad)))
            Issue.record("an unknown field was accepted")
        } catch {
            #expect("\(error)".contains("surprise"))
        }
    }

    @Test func statusAndRegistrationMatchTheirSchemas() throws {
        var status = InstanceStatus(app: "web", environment: "prod", host: "127.0.0.1", port: 32001, healthy: true)
        status.state = .running
        status.supervisor = "h1"
        status.zone = "z1"
        status.restarts = 2
        status.generation = 0
        let encodedStatus = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        #expect(
            SchemaValidator.embedded.validate(
                try JSONValue.parse(encodedStatus),
                against: "instance-status.schema.json"
            ).isEmpty
        )
        let registration = String(decoding: try JSONEncoder().encode(host.registration), as: UTF8.self)
        #expect(
            SchemaValidator.embedded.validate(try JSONValue.parse(registration), against: "supervisor.schema.json")
                .isEmpty
        )
    }
}
