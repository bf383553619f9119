import Crypto
import Foundation
import LDAP
import Manager
import ManagerAPI
import ManagerClient
import ManagerService
import Secrets
import TestSupport
import ZKModel

/// An `APIRig` whose manager checks users and teams against a real slapd (examples/ldap:
/// alice and bob in storefront, carol in payments, dave in no team, ada a platform admin).
struct AuthRig {
    let rig: APIRig
    let server: TestDirectory

    static func run(
        membershipTTL: Double = 10,
        operationTimeout: Double = 3,
        limits: LoginLimiter.Limits = .init(),
        _ body: @Sendable (AuthRig) async throws -> Void
    ) async throws {
        let server = try TestDirectory.shared(name: "authtest", port: 3392)
        var directory = try DirectoryConfiguration.load(path: server.configuration)
        directory.operationTimeout = operationTimeout
        directory.networkTimeout = operationTimeout
        let configuration = Authenticator.Configuration(
            directory: directory,
            membershipTTL: membershipTTL,
            limits: limits
        )
        let makeAuth: @Sendable (ClusterStore) -> Authenticator = { Authenticator(configuration, store: $0) }
        let box = SecretBox(key: SymmetricKey(size: .bits256))
        try await APIRig.run(auth: makeAuth, secretBox: box) { rig in
            try await body(AuthRig(rig: rig, server: server))
        }
    }

    /// The examples of `kind` (and `name`), each with a new label: a change to write.
    func changed(_ kind: String, name: String? = nil) throws -> ApplyRequest {
        var request = try rig.examples()
        request.documents = request.documents.filter {
            $0.document["kind"]?.stringValue == kind
                && (name == nil || $0.document["metadata"]?["name"]?.stringValue == name)
        }
        for i in request.documents.indices {
            guard case .object(var document) = request.documents[i].document,
                case .object(var metadata)? = document["metadata"]
            else { continue }
            metadata["labels"] = .object(["changed": .string("yes")])
            document["metadata"] = .object(metadata)
            request.documents[i].document = .object(document)
        }
        return request
    }

    /// A client with no token.
    var anonymous: ManagerClient { rig.client }

    /// A client logged in as `user` (password `<user>-pw`).
    func login(_ user: String) async throws -> ManagerClient {
        let result = try await rig.client.login(user: user, password: "\(user)-pw")
        return client(token: result.token)
    }

    func client(token: String) -> ManagerClient {
        ManagerClient(baseURL: rig.url, timeout: .seconds(20), token: token)
    }

    /// The examples (teams, zones, services, apps, deploys, routes), applied by the admin.
    func seed() async throws -> ManagerClient {
        let ada = try await login("ada")
        _ = try await ada.apply(try rig.examples())
        return ada
    }

    /// Stored state, without the audit trail and the tokens (which a refusal and a login add to).
    func desired() async throws -> [String: String] {
        try await rig.dump().filter { !$0.key.hasPrefix(rig.tree.audit) && !$0.key.hasPrefix(rig.tree.auth) }
    }

    /// The group `team` without (or with) `user`, as an administrator changes it with any LDAP tool.
    func membership(_ user: String, in team: String, present: Bool) throws {
        try server.modify(
            """
            dn: cn=\(team),ou=teams,dc=example,dc=org
            changetype: modify
            \(present ? "add" : "delete"): member
            member: uid=\(user),ou=people,dc=example,dc=org

            """
        )
    }
}
