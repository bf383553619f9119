import Foundation

/// The build config in an app's source tree (`atlantis.yaml`, or `atlantis.json`): which known
/// template builds it, the command the image runs, setup steps run at build time, and
/// optionally the port and health check (the App's own fields win where both are given).
/// Its shape is `schemas/build-config.schema.json`.
public struct BuildConfig: Codable, Hashable, Sendable {
    public var template: String
    /// The command the container runs (through `/bin/sh -c`).
    public var run: String?
    /// Commands run in order while the image is built (each a `RUN` step).
    public var setup: [String]?
    public var port: Int?
    public var healthCheck: AppSpec.HealthCheck?
    /// `static`: the folder served (default: the source's root).
    public var serve: String?
    /// `dockerfile`: the Dockerfile's path in the source (default `Dockerfile`).
    public var dockerfile: String?

    public init(template: String, run: String? = nil, setup: [String]? = nil) {
        self.template = template
        self.run = run
        self.setup = setup
    }

    /// The file names a source tree may hold its config in, in the order they are looked for.
    public static let fileNames = ["atlantis.yaml", "atlantis.yml", "atlantis.json"]

    /// What is wrong with a build config, each problem with the file and field named.
    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var file: String
        public var errors: [FieldError]

        public init(file: String, errors: [FieldError]) {
            self.file = file
            self.errors = errors
        }

        public var description: String {
            errors.map { "\(file): \($0.path): \($0.reason)" }.joined(separator: "\n")
        }
    }

    /// Checks `value` (the file's parsed contents) against the schema, then what a schema cannot
    /// say; returns the typed config.
    public static func validate(
        _ value: JSONValue,
        file: String,
        schemas: SchemaValidator = .embedded
    ) throws(Invalid) -> BuildConfig {
        let errors = schemas.validate(value, against: "build-config.schema.json")
        guard errors.isEmpty else { throw Invalid(file: file, errors: errors) }
        let config: BuildConfig
        do {
            config = try JSONDecoder().decode(BuildConfig.self, from: Data(value.encoded().utf8))
        } catch {
            throw Invalid(file: file, errors: [FieldError(path: "", reason: "cannot be read: \(error)")])
        }
        var problems: [FieldError] = []
        for path in [config.serve, config.dockerfile].compactMap({ $0 }) where !Self.isInsideTree(path) {
            let field = path == config.serve ? "serve" : "dockerfile"
            problems.append(FieldError(path: [field], reason: "\"\(path)\" must be a relative path inside the source"))
        }
        if let healthPath = config.healthCheck?.path, !healthPath.hasPrefix("/") {
            problems.append(FieldError(path: ["healthCheck", "path"], reason: "must start with /"))
        }
        guard problems.isEmpty else { throw Invalid(file: file, errors: problems) }
        return config
    }

    /// Checks what only the template knows: whether it needs a `run` command.
    public func check(against template: TemplateSpec, name: String, file: String) throws(Invalid) {
        if template.needsRun == true, run == nil {
            throw Invalid(
                file: file,
                errors: [
                    FieldError(path: ["run"], reason: "template \"\(name)\" needs the command that starts the app")
                ]
            )
        }
    }

    /// A relative path without `..` (and not absolute).
    public static func isInsideTree(_ path: String) -> Bool {
        !path.hasPrefix("/") && !path.split(separator: "/").contains("..") && !path.contains("\0")
    }
}
