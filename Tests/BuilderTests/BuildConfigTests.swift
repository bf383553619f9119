import Testing
import YAMLValue
import ZKModel

@Suite("Builder: the build config (atlantis.yaml)")
struct BuildConfigTests {
    static func config(_ yaml: String) throws -> BuildConfig {
        try BuildConfig.validate(try YAMLConversion.json(fromText: yaml), file: "atlantis.yaml")
    }

    @Test func readsAGoodConfig() throws {
        let config = try Self.config(
            "template: python\nrun: python3 app.py\nsetup:\n  - python3 -m compileall .\nport: 9000\nhealthCheck: {path: /health}\n"
        )
        #expect(config.template == "python")
        #expect(config.run == "python3 app.py")
        #expect(config.setup == ["python3 -m compileall ."])
        #expect(config.port == 9000)
        #expect(config.healthCheck?.path == "/health")
    }

    @Test func namesTheFileAndTheFieldOfEachProblem() {
        let cases: [(String, String)] = [
            ("run: python3 app.py\n", "atlantis.yaml: template"),
            ("template: python\nrun: x\nbogus: 1\n", "atlantis.yaml: bogus: is not a known field"),
            ("template: python\nrun: \"a\\nb\"\n", "atlantis.yaml: run"),
            ("template: python\nrun: \"\"\n", "atlantis.yaml: run"),
            ("template: python\nsetup: [\"\"]\n", "atlantis.yaml: setup[0]"),
            ("template: Python\n", "atlantis.yaml: template"),
            ("template: static\nserve: ../outside\n", "atlantis.yaml: serve"),
            ("template: static\nport: 70000\n", "atlantis.yaml: port"),
        ]
        for (yaml, expected) in cases {
            do {
                _ = try Self.config(yaml)
                Issue.record("accepted: \(yaml)")
            } catch let error as BuildConfig.Invalid {
                #expect(error.description.contains(expected), "\(yaml): \(error)")
            } catch {
                Issue.record("\(yaml): \(error)")
            }
        }
    }

    @Test func aTemplateThatRunsTheAppNeedsItsCommand() throws {
        let config = try Self.config("template: python\n")
        var template = TemplateSpec(
            version: "1",
            baseImage: "r/x@sha256:" + String(repeating: "a", count: 64),
            dockerfile: "FROM x"
        )
        template.needsRun = true
        #expect(throws: BuildConfig.Invalid.self) {
            try config.check(against: template, name: "python", file: "atlantis.yaml")
        }
        template.needsRun = nil
        try config.check(against: template, name: "static", file: "atlantis.yaml")
    }
}
