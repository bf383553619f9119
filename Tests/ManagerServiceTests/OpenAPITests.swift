import Foundation
import ManagerAPI
import ManagerService
import NIOHTTP1
import Testing
import ZKModel

/// The OpenAPI document in the repository (schemas/openapi.json) and the server must not drift.
@Suite("manager API: OpenAPI document")
struct OpenAPITests {
    static var file: String {
        (try? String(contentsOf: APIRig.repoRoot.appendingPathComponent("schemas/openapi.json"), encoding: .utf8)) ?? ""
    }

    static func operations(_ text: String) throws -> Set<APIRoute> {
        guard case .object(let paths)? = try JSONValue.parse(text)["paths"] else { return [] }
        var out: Set<APIRoute> = []
        for (path, item) in paths {
            for method in item.objectValue?.keys ?? [:].keys { out.insert(APIRoute(method.uppercased(), path)) }
        }
        return out
    }

    @Test func theDocumentListsExactlyTheRoutesTheServerRegisters() throws {
        let documented = try Self.operations(Self.file)
        let served = Set(ManagerRoutes.routes)
        #expect(documented.subtracting(served).isEmpty, "documented, not served: \(documented.subtracting(served))")
        #expect(served.subtracting(documented).isEmpty, "served, not documented: \(served.subtracting(documented))")
        #expect(served.count == ManagerRoutes.routes.count, "a route registered twice")
    }

    /// The server serves the document of the repository, and answers every documented operation
    /// with a route of its own (a problem it raised, never the router's "no such path").
    @Test func theServerServesTheDocumentAndAnswersEveryOperation() async throws {
        try await APIRig.run { rig in
            let served = try await rig.raw(.GET, "/v1/openapi.json")
            #expect(served.status == 200)
            #expect(try JSONValue.parse(served.body) == (try JSONValue.parse(Self.file)))
            for route in try Self.operations(Self.file).sorted(by: { $0.description < $1.description }) {
                if route.path.hasSuffix("/events") { continue }  // a stream: checked by its own tests
                let path = route.path.replacingOccurrences(of: "{name}", with: "x").replacingOccurrences(
                    of: "{env}",
                    with: "y"
                )
                let answer = try await rig.raw(
                    HTTPMethod(rawValue: route.method),
                    path,
                    body: route.method == "GET" || route.method == "DELETE" ? nil : Array("{}".utf8),
                    headers: [("Content-Type", "application/json")]
                )
                #expect(answer.problem?.detail.contains("no such path") != true, "\(route): \(answer.body)")
                #expect(answer.status != 405, "\(route)")
            }
        }
    }

    @Test func everyProblemCodeHasItsExitCode() {
        let expected: [Problem.Code: Int32] = [
            .invalidInput: 2, .badRequest: 2, .tooLarge: 2, .unsupportedMediaType: 2, .methodNotAllowed: 2,
            .conflict: 3, .unreachable: 4, .unknownOutcome: 4, .timeout: 4, .notFound: 5, .forbidden: 6, .internal: 1,
            .unauthorized: 7, .tooManyRequests: 8, .directoryUnavailable: 4,
        ]
        for code in Problem.Code.allCases {
            #expect(code.exitCode == expected[code], "\(code)")
            #expect(Problem(code, "x").status == code.status)
        }
    }
}
