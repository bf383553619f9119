public import Docker
import Foundation
import Mustache
public import ZKModel

/// Turns a source tree, its build config and a template into the tar context `POST /build`
/// takes: pure, so every template is tested without an Engine.
///
/// - `static`, `python`, …: the source under `app/`, the template's files under `.atlantis/`,
///   and the `Dockerfile` rendered from the template (variables: `baseImage`, `port`, `setup`,
///   `run`, `runJSON`, `serve`).
/// - `dockerfile`: the source itself, its Dockerfile with every `FROM` pinned to a known base.
public struct BuildContextRenderer: Sendable {
    public init() {}

    public struct Rendered: Sendable {
        public var context: [UInt8]
        public var dockerfile: String
        /// The base image by digest (the first `FROM`'s for `dockerfile`).
        public var baseImage: String?
    }

    public struct Refused: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The port an image listens on when neither the App nor the config says.
    public static let defaultPort = 8080

    public func render(
        source: [TarReader.Entry],
        config: BuildConfig,
        configFile: String,
        template: TemplateSpec,
        templateName: String
    ) throws(Refused) -> Rendered {
        var archive = TarArchive()
        do {
            if template.dockerfile == nil {
                let path = config.dockerfile ?? "Dockerfile"
                guard let file = source.first(where: { $0.path == path && $0.linkTarget == nil }) else {
                    throw Refused(description: "\(configFile): dockerfile: the source has no \(path)")
                }
                let (text, base) = try pin(String(decoding: file.contents, as: UTF8.self), bases: template.bases ?? [])
                for entry in source {
                    if entry.path == path {
                        try archive.add(path, contents: Array(text.utf8))
                    } else {
                        try add(entry, at: entry.path, to: &archive)
                    }
                }
                if path != "Dockerfile" {
                    // The Engine reads ./Dockerfile; an app's Dockerfile elsewhere is copied there.
                    guard !source.contains(where: { $0.path == "Dockerfile" }) else {
                        throw Refused(
                            description:
                                "\(configFile): dockerfile: \(path) is given, but the source also has a Dockerfile at its root; remove one"
                        )
                    }
                    try archive.add("Dockerfile", contents: Array(text.utf8))
                }
                return Rendered(context: archive.archive, dockerfile: text, baseImage: base)
            }
            let dockerfile = try dockerfileText(config: config, template: template)
            for entry in source { try add(entry, at: "app/" + entry.path, to: &archive) }
            for (name, contents) in (template.files ?? [:]).sorted(by: { $0.key < $1.key }) {
                try archive.add(".atlantis/" + name, contents: Array(contents.utf8))
            }
            try archive.add("Dockerfile", contents: Array(dockerfile.utf8))
            return Rendered(context: archive.archive, dockerfile: dockerfile, baseImage: template.baseImage)
        } catch let refused as TarArchive.Refused {
            throw Refused(description: refused.description)
        } catch let refused as Refused {
            throw refused
        } catch {
            throw Refused(description: "\(error)")
        }
    }

    func dockerfileText(config: BuildConfig, template: TemplateSpec) throws(Refused) -> String {
        let mustache: MustacheTemplate
        do {
            mustache = try MustacheTemplate(string: template.dockerfile ?? "")
        } catch {
            throw Refused(description: "the template's dockerfile is not a valid Mustache template: \(error)")
        }
        var serve = config.serve ?? ""
        if !serve.isEmpty, !serve.hasSuffix("/") { serve += "/" }
        let run = config.run ?? ""
        let runJSON = String(decoding: try! JSONEncoder().encode(["/bin/sh", "-c", "exec " + run]), as: UTF8.self)
        let values: [String: Any] = [
            "baseImage": template.baseImage ?? "",
            "port": config.port ?? Self.defaultPort,
            "setup": config.setup ?? [],
            "run": run,
            "runJSON": runJSON.replacingOccurrences(of: "\\/", with: "/"),
            "serve": serve,
        ]
        return mustache.render(values)
    }

    private func add(_ entry: TarReader.Entry, at path: String, to archive: inout TarArchive) throws {
        if let target = entry.linkTarget {
            try archive.addSymlink(path, target: target)
        } else {
            try archive.add(path, contents: entry.contents, mode: entry.mode & 0o111 != 0 ? 0o755 : 0o644)
        }
    }

    /// The Dockerfile with each `FROM` of a known base pinned to its digest; refuses a base that
    /// is not known (a stage named earlier is fine). Returns the text and the first base.
    func pin(_ text: String, bases: [String]) throws(Refused) -> (String, String?) {
        var stages: Set<String> = []
        var first: String?
        var lines: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first, keyword.uppercased() == "FROM" else {
                lines.append(String(line))
                continue
            }
            let image = words.dropFirst().first { !$0.hasPrefix("--") } ?? ""
            if words.count >= 4, words[words.count - 2].uppercased() == "AS" { stages.insert(words[words.count - 1]) }
            if stages.contains(image), !bases.contains(where: { Self.name(of: $0) == image }) {
                lines.append(String(line))
                continue
            }
            guard let base = bases.first(where: { $0 == image || Self.name(of: $0) == image }) else {
                let known = bases.map { Self.name(of: $0) }.joined(separator: ", ")
                throw Refused(
                    description:
                        "Dockerfile line \(number + 1): FROM \(image) is not a known base; use one of: \(known) (there is no Docker Hub here)"
                )
            }
            first = first ?? base
            lines.append(line.replacingOccurrences(of: image, with: base))
        }
        guard first != nil else { throw Refused(description: "the Dockerfile has no FROM line") }
        return (lines.joined(separator: "\n"), first)
    }

    /// `registry/name` of `registry/name@sha256:…`.
    static func name(of image: String) -> String {
        image.split(separator: "@").first.map(String.init) ?? image
    }
}
