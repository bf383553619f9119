import Foundation

/// The CLI's contexts, kubeconfig-style, in `$XDG_CONFIG_HOME/atlantis/config.json` (else
/// `~/.config/atlantis/config.json`): named managers and credentials, one of them current.
public struct ClientConfig: Codable, Sendable, Hashable {
    public struct Context: Codable, Sendable, Hashable {
        public var name: String
        public var manager: String
        /// A token for the manager (users and teams); never printed by `config view`.
        public var token: String?
        /// The region of the catalog this context's manager serves.
        public var region: String?

        public init(name: String, manager: String, token: String? = nil, region: String? = nil) {
            self.name = name
            self.manager = manager
            self.token = token
            self.region = region
        }
    }

    public var currentContext: String?
    public var contexts: [Context]
    /// The catalog of regions (`atlantis config set-region`, or `import-regions` of a shared file).
    public var regions: [Region]?

    public init(currentContext: String? = nil, contexts: [Context] = [], regions: [Region]? = nil) {
        self.currentContext = currentContext
        self.contexts = contexts
        self.regions = regions
    }

    public static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["ATLANTIS_CONFIG"], !explicit.isEmpty { return explicit }
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/atlantis/config.json"
    }

    /// The file's contexts; none when there is no file. A file that cannot be read is an error.
    public static func load(from path: String = path) throws -> ClientConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return ClientConfig() }
        do {
            return try JSONDecoder().decode(ClientConfig.self, from: data)
        } catch {
            throw ConfigError("\(path) cannot be read (\(error)); fix or remove it")
        }
    }

    public func save(to path: String = path) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        // Tokens live here: only the user may read the file.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    public var current: Context? { contexts.first { $0.name == currentContext } }

    /// Adds or replaces the region of that name (the catalog keeps its order: the first is the canary).
    public mutating func set(_ region: Region) {
        var list = regions ?? []
        if let index = list.firstIndex(where: { $0.name == region.name }) {
            list[index] = region
        } else {
            list.append(region)
        }
        regions = list
    }

    /// The token for a region: its context's, else that of a context for the same manager.
    public func token(for region: Region) -> String? {
        contexts.first { $0.region == region.name && $0.token != nil }?.token
            ?? contexts.first { $0.manager == region.manager && $0.token != nil }?.token
    }

    /// Adds or replaces the context of that name.
    public mutating func set(_ context: Context) {
        contexts.removeAll { $0.name == context.name }
        contexts.append(context)
        contexts.sort { $0.name < $1.name }
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
