import Builder
import Docker
import Foundation
import TestSupport
import Testing
import YAMLValue
import ZKModel

/// The shipped templates (templates/*.yaml) rendered for an app, without an Engine.
@Suite("Builder: rendering a template into a build context")
struct BuildContextRendererTests {
    static let busybox = "127.0.0.1:5000/atlantis/busybox@sha256:" + String(repeating: "b", count: 64)
    static let python = "127.0.0.1:5000/atlantis/python@sha256:" + String(repeating: "c", count: 64)

    /// A shipped template, with its base placeholders filled as scripts/docker.sh does.
    static func template(_ name: String) throws -> TemplateSpec {
        let text = try String(contentsOfFile: Repository.path("templates/\(name).yaml"), encoding: .utf8)
            .replacingOccurrences(of: "@BASE_BUSYBOX@", with: busybox)
            .replacingOccurrences(of: "@BASE_PYTHON@", with: python)
        guard case .success(let document) = DocumentValidator().validate(try YAMLConversion.json(fromText: text)) else {
            throw TarReader.Refused("templates/\(name).yaml does not validate")
        }
        return try document.decodeSpec(TemplateSpec.self)
    }

    static func entry(_ path: String, _ text: String) -> TarReader.Entry {
        TarReader.Entry(path: path, contents: Array(text.utf8), mode: 0o644)
    }

    @Test func pythonRunsTheCommandAfterTheSetupSteps() throws {
        var config = BuildConfig(template: "python", run: "python3 app.py", setup: ["python3 -m compileall -q ."])
        config.port = 9000
        let rendered = try BuildContextRenderer().render(
            source: [Self.entry("app.py", "print(1)\n"), Self.entry("atlantis.yaml", "template: python\n")],
            config: config,
            configFile: "atlantis.yaml",
            template: try Self.template("python"),
            templateName: "python"
        )
        let lines = rendered.dockerfile.split(separator: "\n").map(String.init)
        #expect(lines.first == "FROM \(Self.python)")
        #expect(lines.contains("RUN python3 -m compileall -q ."))
        #expect(lines.contains(#"CMD ["/bin/sh","-c","exec python3 app.py"]"#), "\(lines)")
        #expect(lines.contains("EXPOSE 9000"))
        #expect(rendered.baseImage == Self.python)
        let paths = try TarReader().read(rendered.context).map(\.path)
        #expect(Set(paths) == ["app/app.py", "app/atlantis.yaml", "Dockerfile"])
    }

    @Test func staticServesTheFolderItIsGiven() throws {
        var config = BuildConfig(template: "static")
        config.serve = "public"
        let rendered = try BuildContextRenderer().render(
            source: [Self.entry("public/index.html", "hi")],
            config: config,
            configFile: "atlantis.yaml",
            template: try Self.template("static"),
            templateName: "static"
        )
        #expect(rendered.dockerfile.contains("COPY app/public/ /www/"))
        #expect(rendered.dockerfile.contains("httpd -f -p ${ATLANTIS_PORT:-8080} -h /www"), "\(rendered.dockerfile)")
    }

    @Test func anAppsDockerfileIsPinnedToAKnownBase() throws {
        let dockerfile =
            "FROM 127.0.0.1:5000/atlantis/busybox AS build\nRUN echo hi > /x\nFROM build\nCMD [\"cat\", \"/x\"]\n"
        let rendered = try BuildContextRenderer().render(
            source: [Self.entry("Dockerfile", dockerfile), Self.entry("atlantis.yaml", "template: dockerfile\n")],
            config: BuildConfig(template: "dockerfile"),
            configFile: "atlantis.yaml",
            template: try Self.template("dockerfile"),
            templateName: "dockerfile"
        )
        #expect(rendered.dockerfile.hasPrefix("FROM \(Self.busybox) AS build\n"), "\(rendered.dockerfile)")
        #expect(rendered.dockerfile.contains("\nFROM build\n"))
        #expect(rendered.baseImage == Self.busybox)
    }

    @Test func aDockerfileFromAnUnknownBaseIsRefused() throws {
        for from in ["debian:bookworm", "127.0.0.1:5000/atlantis/busybox@sha256:" + String(repeating: "0", count: 64)] {
            #expect(throws: BuildContextRenderer.Refused.self, "\(from)") {
                try BuildContextRenderer().render(
                    source: [Self.entry("Dockerfile", "FROM \(from)\nCMD [\"true\"]\n")],
                    config: BuildConfig(template: "dockerfile"),
                    configFile: "atlantis.yaml",
                    template: try Self.template("dockerfile"),
                    templateName: "dockerfile"
                )
            }
        }
        #expect(throws: BuildContextRenderer.Refused.self, "no Dockerfile") {
            try BuildContextRenderer().render(
                source: [Self.entry("app.py", "")],
                config: BuildConfig(template: "dockerfile"),
                configFile: "atlantis.yaml",
                template: try Self.template("dockerfile"),
                templateName: "dockerfile"
            )
        }
    }
}
