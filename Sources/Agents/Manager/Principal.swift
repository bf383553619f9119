public import ZKModel

/// Who a write comes from, as the manager service authenticated them: a person (their teams from
/// the directory) or a team's machine token (limited to an app and to verbs, perhaps).
public struct Principal: Sendable, Hashable {
    public enum Subject: String, Sendable, Hashable {
        case user, machine
    }

    public var subject: Subject
    /// The user name, or `token:<name>` for a machine token.
    public var name: String
    /// The directory groups a user is in, by name and by lowercased DN (a Team names its group
    /// in `spec.ldapGroup`, either way).
    public var groups: Set<String>
    /// The Team a machine token belongs to.
    public var team: String?
    /// Platform admins may change everything; a machine token never is one.
    public var admin: Bool
    /// A machine token's limits.
    public var app: String?
    public var verbs: Set<String>?

    public init(
        subject: Subject,
        name: String,
        groups: Set<String> = [],
        team: String? = nil,
        admin: Bool = false,
        app: String? = nil,
        verbs: Set<String>? = nil
    ) {
        self.subject = subject
        self.name = name
        self.groups = groups
        self.team = team
        self.admin = admin && subject == .user
        self.app = app
        self.verbs = verbs
    }

    /// Whether this principal belongs to the Team `name` (its document `team`, if it exists): a
    /// machine token of that team; a user in the team's directory group or in its member list.
    public func isMember(ofTeam name: String, team: Document?) -> Bool {
        isMember(ofTeam: name, spec: try? team?.decodeSpec(TeamSpec.self))
    }

    /// The same, given the Team's spec.
    public func isMember(ofTeam name: String, spec: TeamSpec?) -> Bool {
        switch subject {
        case .machine:
            return self.team == name
        case .user:
            guard let spec else { return false }
            if let group = spec.ldapGroup, groups.contains(group) || groups.contains(group.lowercased()) {
                return true
            }
            return spec.members.contains(self.name)
        }
    }
}

/// The principal of the request being served (the manager service sets it around each
/// authenticated request; a manager with `requireAuthorization` refuses writes without one).
public enum WriteAccess {
    @TaskLocal public static var current: Principal?
}
