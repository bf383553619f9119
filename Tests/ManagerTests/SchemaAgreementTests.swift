import Foundation
import Manager
import Spawn
import TestSupport
import Testing
import ZKModel

/// The Swift validator and Python's jsonschema must agree on every example and invalid fixture.
@Suite struct SchemaAgreementTests {
    @Test func swiftAndPythonAgree() throws {
        var cases: [(label: String, schema: String, document: JSONValue)] = []
        let folders = ["examples", "examples/sample", "examples/internal", "Tests/Fixtures/invalid"]
        for folder in folders {
            let files = try FileManager.default.contentsOfDirectory(atPath: Repository.path(folder)).sorted()
            for file in files where ManifestLoader.extensions.contains((file as NSString).pathExtension) {
                // Unparseable files have no document to compare.
                guard let loaded = try? ManifestLoader().load(file: Repository.path("\(folder)/\(file)")) else {
                    continue
                }
                for item in loaded {
                    guard let kind = item.value["kind"]?.stringValue.flatMap(Kind.init(rawValue:)) else { continue }
                    cases.append(("\(folder)/\(file)#\(item.location.index)", kind.schemaFile, item.value))
                }
            }
        }
        #expect(cases.count >= 30)
        let input = JSONValue.array(
            cases.map {
                .object(["schema": .string($0.schema), "document": $0.document])
            }
        ).encoded()
        let verdicts = try runPython(input: input)
        try #require(verdicts.count == cases.count)
        var validCount = 0
        for (i, c) in cases.enumerated() {
            let swiftErrors = SchemaValidator.embedded.validate(c.document, against: c.schema)
            let pythonValid = verdicts[i]["valid"] == .bool(true)
            if pythonValid { validCount += 1 }
            #expect(
                swiftErrors.isEmpty == pythonValid,
                "\(c.label): Swift says \(swiftErrors), Python says \(verdicts[i])"
            )
        }
        // Both sides must have seen valid and invalid documents, or the comparison proves little.
        #expect(validCount >= 20)
        #expect(cases.count - validCount >= 10)
    }

    private func runPython(input: String) throws -> [JSONValue] {
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "schema-cases-\(UUID().uuidString).json"
        )
        try Data(input.utf8).write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }
        let (status, stdout, stderr) = Spawn.run3(
            ["python3", Repository.path("scripts/validate-schemas.py")],
            stdin: inputFile.path
        )
        try #require(
            status == 0,
            "scripts/validate-schemas.py failed (is jsonschema installed? scripts/install.sh): \(stderr)"
        )
        guard case .array(let items) = try JSONValue.parse(stdout) else { return [] }
        return items
    }
}
