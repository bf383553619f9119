import Foundation

/// One piece of a page that changes on its own: a table row or a card, keyed so that a live
/// page replaces exactly it. `html` is complete (server-rendered, escaped); a row with an
/// action (roll back, scale) holds `DashboardRow.actionsMarker` where the action's form goes
/// for a viewer who may take it, and `DashboardRow.csrfMarker` in that form.
public struct DashboardRow: Sendable, Hashable {
    /// `env/<app>/<env>/`, `inst/<app>/<env>/<id>`, `sup/<id>`, …: pages watch prefixes.
    public var key: String
    /// The container (`data-list`) a new row is put in.
    public var list: String
    public var html: String
    /// The team whose members (and admins) see `action`.
    public var team: String?
    public var action: String?

    public static let actionsMarker = "<!--actions-->"
    public static let csrfMarker = "{{csrf}}"

    public init(key: String, list: String, html: String, team: String? = nil, action: String? = nil) {
        self.key = key
        self.list = list
        self.html = html
        self.team = team
        self.action = action
    }

    /// The row as `viewer` sees it.
    public func rendered(for viewer: DashboardViewer) -> String {
        guard let action, html.contains(Self.actionsMarker) else { return html }
        let allowed = viewer.mayWrite(team: team)
        let form = allowed ? action.replacingOccurrences(of: Self.csrfMarker, with: viewer.csrf) : ""
        return html.replacingOccurrences(of: Self.actionsMarker, with: form)
    }
}

/// Who looks at a page: what they may change (the same rule as the API's, for showing
/// buttons; the server checks every POST again) and the CSRF token their forms carry.
public struct DashboardViewer: Sendable {
    public var name: String?
    public var csrf: String
    public var admin: Bool
    /// Teams whose apps this viewer may change; nil: every team (a manager without a directory).
    public var teams: Set<String>?

    public init(name: String?, csrf: String, admin: Bool, teams: Set<String>?) {
        self.name = name
        self.csrf = csrf
        self.admin = admin
        self.teams = teams
    }

    public func mayWrite(team: String?) -> Bool {
        guard let teams, !admin else { return true }
        guard let team else { return false }
        return teams.contains(team)
    }
}
