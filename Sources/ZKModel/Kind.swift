/// The kinds of desired-state documents.
public enum Kind: String, CaseIterable, Hashable, Sendable, Codable {
    case team = "Team"
    case zone = "Zone"
    case service = "Service"
    case app = "App"
    case deploy = "Deploy"
    case route = "Route"
    case template = "Template"

    /// The znode folder under `desired/` and the word used on the command line.
    public var plural: String {
        switch self {
        case .team: return "teams"
        case .zone: return "zones"
        case .service: return "services"
        case .app: return "apps"
        case .deploy: return "deploys"
        case .route: return "routes"
        case .template: return "templates"
        }
    }

    public var schemaFile: String { "\(rawValue.lowercased()).schema.json" }

    /// Accepts `App`, `app`, `apps`.
    public init?(argument: String) {
        let lower = argument.lowercased()
        guard let kind = Kind.allCases.first(where: { $0.rawValue.lowercased() == lower || $0.plural == lower })
        else { return nil }
        self = kind
    }

    /// Order for writing and listing: what is referenced comes before what refers to it.
    public var dependencyRank: Int { Kind.allCases.firstIndex(of: self)! }
}
