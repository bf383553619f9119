import Foundation
import Manager
import TestSupport
import Testing
import ZKModel

/// Every malformed document is refused with an error naming the file, the field and the reason.
@Suite struct InvalidFixtureTests {
    static let cases: [(file: String, expected: String)] = [
        ("bad-json.json", "bad-json.json: document 1: invalid JSON"),
        ("bad-yaml.yaml", "bad-yaml.yaml: document 1: invalid YAML"),
        ("unknown-kind.yaml", #"kind: unknown kind "Database""#),
        ("wrong-api-version.yaml", #"apiVersion: unsupported version "atlantis/v2""#),
        ("unknown-field.yaml", #"(App "web"): spec.replicas: is not a known field"#),
        ("wrong-types.yaml", "spec.port: must be integer, not string"),
        ("negative-instances.yaml", "spec.instances: must be >= 0 (got -1)"),
        ("name-not-dns-label.yaml", "metadata.name: \"Zone_A\" does not match"),
        ("name-too-long.yaml", "metadata.name: "),
        ("missing-spec.yaml", "spec: is required"),
        ("port-out-of-range.yaml", "spec.endpoints[0].port: must be <= 65535 (got 70000)"),
        ("image-and-build.yaml", "spec: must match exactly one alternative, matches 2"),
        ("reserved-env.yaml", "spec.env.ATLANTIS_ZONE: is not an allowed name"),
        ("route-two-pools.yaml", "spec.pool: must match exactly one alternative, matches none"),
        ("route-bad-host.yaml", "spec.host: "),
        ("route-prefix-bad-escape.yaml", #"spec.pathPrefix: "/docs/%zz" does not match"#),
        ("route-prefix-dot-segment.yaml", #"spec.pathPrefix: "/docs/../admin" does not match"#),
        ("not-an-object.yaml", "must be an object with apiVersion, kind, metadata and spec, not array"),
        ("dangling-reference.yaml", #"spec.app: refers to App "ghost", which does not exist"#),
        ("route-without-deploy.yaml", #"spec.pool.environment: no Deploy runs app "lonely-app" in environment "prod""#),
        ("duplicate-document.yaml", "metadata.name: appears more than once in this apply"),
    ]

    @Test func everyFixtureIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Repository.path("Tests/Fixtures/invalid"))
        #expect(Set(files) == Set(Self.cases.map(\.file)))
    }

    @Test(arguments: cases)
    func fixtureIsRefused(file: String, expected: String) throws {
        let empty = ClusterSnapshot(documents: [:], folderVersions: [:])
        do {
            let loaded = try ManifestLoader().load(paths: [Repository.path("Tests/Fixtures/invalid/\(file)")])
            let inputs = try Manager.validate(loaded)
            _ = try ApplyPlanner().plan(inputs, current: empty, source: "test", prune: false)
            Issue.record("\(file) was accepted")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.exitCode == 2)
            #expect(error.description.contains(expected), "\(file): got \(error.description)")
            #expect(error.description.contains(file), "the error must name the file")
        }
    }
}
