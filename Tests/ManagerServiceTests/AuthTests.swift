import Foundation
import LDAP
import Manager
import ManagerAPI
import ManagerClient
import ManagerService
import NIOHTTP1
import Synchronization
import TestSupport
import Testing
import ZKModel

#if canImport(Glibc)
import Glibc
#endif

/// Who may do what, through the API, against a real slapd and ZooKeeper.
@Suite("manager API: users, teams and tokens", .serialized)
struct AuthTests {
    @Test func readsNeedATokenAndPublicRoutesDoNot() async throws {
        try await AuthRig.run { auth in
            #expect(await problem { _ = try await auth.anonymous.list(.app) }?.code == .unauthorized)
            #expect(try await auth.rig.raw(.GET, "/healthz").status == 200)
            #expect(try await auth.rig.raw(.GET, "/v1/openapi.json").status == 200)
            let forged = try await auth.rig.raw(.GET, "/v1/apps", headers: [("Authorization", "Bearer atl_forged")])
            #expect(forged.status == 401)
            _ = try await auth.seed()
            let dave = try await auth.login("dave")
            #expect(try await dave.list(.app).count == 2, "any authenticated user may read")
            let me = try await dave.whoami()
            #expect(me.name == "dave" && me.teams.isEmpty && !me.admin)
        }
    }

    @Test func aNonMemberIsRefusedWithNothingWrittenAndTheDenialAudited() async throws {
        try await AuthRig.run { auth in
            _ = try await auth.seed()
            let carol = try await auth.login("carol")  // payments, not storefront (shop's team)
            let before = try await auth.desired()
            let scale = await problem {
                _ = try await carol.scale(app: "shop", environment: "prod", .init(instances: 2))
            }
            #expect(scale?.code == .forbidden, "\(String(describing: scale))")
            #expect(scale?.detail.contains("storefront") == true)
            let deploy = await problem {
                _ = try await carol.deploy(app: "shop", environment: "prod", .init(image: "127.0.0.1:5000/shop:evil"))
            }
            #expect(deploy?.code == .forbidden)
            let undo = await problem { _ = try await carol.undo("shop-prod", .init()) }
            #expect(undo?.code == .forbidden)
            let teardown = await problem { _ = try await carol.teardown(app: "shop", environment: "prod") }
            #expect(teardown?.code == .forbidden)
            let apply = await problem { _ = try await carol.apply(try auth.changed("Route", name: "shop")) }
            #expect(apply?.code == .forbidden, "carol's apply of shop's routes")
            let build = await problem {
                _ = try await carol.build(app: "shop", source: BuildSource(git: .init(url: "/srv/shop.git")))
            }
            #expect(build?.code == .forbidden, "carol's build of shop")
            #expect(try await auth.desired() == before, "a refused write wrote nothing")
            // A member of shop's team may build it: the build is written, asked for by her.
            let alice = try await auth.login("alice")
            let built = try await alice.build(app: "shop", source: BuildSource(git: .init(url: "/srv/shop.git")))
            #expect(built.requestedBy == "alice")
            let denials = try await auth.seed().audit().items.filter { $0.record.action == "denied" }
            #expect(denials.count >= 6, "every denial audited: \(denials.map(\.record))")
            #expect(denials.allSatisfy { $0.record.caller?.hasPrefix("carol@") == true && $0.record.reason != nil })
        }
    }

    @Test func membersChangeTheirAppsAndAdminsEverything() async throws {
        try await AuthRig.run { auth in
            let ada = try await auth.seed()
            let alice = try await auth.login("alice")
            let scaled = try await alice.scale(app: "shop", environment: "prod", .init(instances: 2))
            #expect(scaled.deploy == "shop-prod")
            let deployed = try await alice.deploy(
                app: "shop",
                environment: "prod",
                .init(image: "127.0.0.1:5000/shop:2")
            )
            #expect(deployed.release == 2)
            let undone = try await alice.undo("shop-prod", .init())
            #expect(undone.release == 1)
            // alice may not touch payments' app, nor hand shop to payments, nor change a Team.
            #expect(
                await problem { _ = try await alice.scale(app: "checkout", environment: "prod", .init(instances: 2)) }?
                    .code == .forbidden
            )
            var request = try auth.rig.examples()
            request.documents = request.documents.filter {
                $0.document["kind"]?.stringValue == "App" && $0.document["metadata"]?["name"]?.stringValue == "shop"
            }
            var moved = request
            moved.documents[0].document = try JSONValue.parse(
                String(decoding: request.documents[0].document.canonicalBytes, as: UTF8.self).replacingOccurrences(
                    of: "\"storefront\"",
                    with: "\"payments\""
                )
            )
            #expect(await problem { _ = try await alice.apply(moved) }?.code == .forbidden)
            #expect(await problem { _ = try await alice.apply(try auth.changed("Team")) }?.code == .forbidden)
            #expect(await problem { _ = try await alice.apply(try auth.changed("Zone")) }?.code == .forbidden)
            _ = try await alice.apply(try auth.changed("Route", name: "shop"))
            // The admin may do all of it.
            let audit = try await ada.audit(app: "shop").items
            #expect(audit.contains { $0.record.action == "scale" && $0.record.caller?.hasPrefix("alice@") == true })
            _ = try await ada.scale(app: "checkout", environment: "prod", .init(instances: 2))
            _ = try await ada.apply(moved)
            #expect(try await ada.get(.app, "shop").document["spec"]?["team"]?.stringValue == "payments")
        }
    }

    @Test func loginFailuresLookAlikeAndAreLimited() async throws {
        try await AuthRig.run(limits: .init(failuresPerUser: 3, attemptsPerAddress: 100, window: 60)) { auth in
            let wrong = await problem { _ = try await auth.anonymous.login(user: "bob", password: "nope") }
            let unknown = await problem { _ = try await auth.anonymous.login(user: "nobody", password: "nope") }
            let injected = await problem { _ = try await auth.anonymous.login(user: "*)(uid=*", password: "x") }
            let empty = await problem { _ = try await auth.anonymous.login(user: "alice", password: "") }
            for failure in [wrong, unknown, injected, empty] {
                #expect(failure?.code == .unauthorized)
                #expect(
                    failure?.detail == wrong?.detail,
                    "one message for every failure: \(String(describing: failure))"
                )
            }
            _ = await problem { _ = try await auth.anonymous.login(user: "bob", password: "nope") }
            _ = await problem { _ = try await auth.anonymous.login(user: "bob", password: "nope") }
            let limited = await problem { _ = try await auth.anonymous.login(user: "bob", password: "bob-pw") }
            #expect(limited?.code == .tooManyRequests, "\(String(describing: limited))")
            #expect(try await auth.rig.raw(.POST, "/v1/login").status == 401, "no credentials")
            _ = try await auth.login("alice")  // another user is not limited
        }
    }

    @Test func credentialsInTheQueryStringAreRefused() async throws {
        try await AuthRig.run { auth in
            let alice = try await auth.rig.client.login(user: "alice", password: "alice-pw")
            for parameter in ["access_token", "token", "Token"] {
                let answer = try await auth.rig.raw(.GET, "/v1/apps?\(parameter)=\(alice.token)")
                #expect(answer.status == 400, "\(parameter): \(answer.body)")
                #expect(answer.problem?.detail.contains("Authorization header") == true)
            }
        }
    }

    @Test func machineTokensBelongToTheTeamAndKeepToTheirScope() async throws {
        try await AuthRig.run(membershipTTL: 0.5) { auth in
            _ = try await auth.seed()
            let alice = try await auth.login("alice")
            let issued = try await alice.createToken(
                .init(name: "ci", team: "storefront", app: "shop", verbs: ["scale", "apply"], ttl: "1h")
            )
            #expect(issued.token.hasPrefix("atl_"))
            let ci = auth.client(token: issued.token)
            #expect(try await ci.whoami().teams == ["storefront"])
            _ = try await ci.scale(app: "shop", environment: "prod", .init(instances: 3))
            #expect(
                await problem { _ = try await ci.deploy(app: "shop", environment: "prod", .init(image: "x:1")) }?.code
                    == .forbidden,
                "a verb outside the token"
            )
            #expect(
                await problem { _ = try await ci.scale(app: "checkout", environment: "prod", .init(instances: 1)) }?
                    .code == .forbidden,
                "another app"
            )
            #expect(
                await problem { _ = try await ci.createToken(.init(name: "more", team: "storefront", ttl: "1h")) }?.code
                    == .forbidden,
                "a token makes no tokens"
            )
            // It is the team's: alice leaving storefront does not end it.
            try auth.membership("alice", in: "storefront", present: false)
            defer { try? auth.membership("alice", in: "storefront", present: true) }
            try await Task.sleep(for: .seconds(1))
            _ = try await ci.scale(app: "shop", environment: "prod", .init(instances: 2))
            // Listed for storefront's members, not for others; revoked by a member, at once.
            let bob = try await auth.login("bob")
            #expect(try await bob.tokens().map(\.id) == [issued.info.id])
            let carol = try await auth.login("carol")
            #expect(try await carol.tokens().isEmpty)
            #expect(await problem { try await carol.revokeToken(issued.info.id) }?.code == .forbidden)
            #expect(
                await problem { _ = try await carol.createToken(.init(name: "x", team: "storefront", ttl: "1h")) }?.code
                    == .forbidden
            )
            try await bob.revokeToken(issued.info.id)
            #expect(await problem { _ = try await ci.list(.app) }?.code == .unauthorized, "revoked")
        }
    }

    @Test func expiredTokensAndLogoutEndAccess() async throws {
        try await AuthRig.run { auth in
            _ = try await auth.seed()
            let alice = try await auth.login("alice")
            for ttl in ["400d", "0s", "1w", "soon"] {
                let refused = await problem {
                    _ = try await alice.createToken(.init(name: "x", team: "storefront", ttl: ttl))
                }
                #expect(refused?.code == .badRequest, "ttl \(ttl)")
            }
            let unknownVerb = await problem {
                _ = try await alice.createToken(.init(name: "x", team: "storefront", verbs: ["root"], ttl: "1h"))
            }
            #expect(unknownVerb?.code == .badRequest)
            let short = try await alice.createToken(.init(name: "short", team: "storefront", ttl: "1s"))
            try await Task.sleep(for: .milliseconds(1500))
            #expect(await problem { _ = try await auth.client(token: short.token).list(.app) }?.code == .unauthorized)
            try await alice.logout()
            #expect(await problem { _ = try await alice.list(.app) }?.code == .unauthorized)
            #expect(
                await problem { _ = try await alice.createToken(.init(name: "x", team: "storefront", ttl: "400d")) }?
                    .code == .unauthorized
            )
        }
    }

    @Test func aUserRemovedFromTheGroupLosesWriteAccess() async throws {
        try await AuthRig.run(membershipTTL: 2) { auth in
            _ = try await auth.seed()
            let bob = try await auth.login("bob")
            _ = try await bob.scale(app: "shop", environment: "prod", .init(instances: 2))
            try auth.membership("bob", in: "storefront", present: false)
            defer { try? auth.membership("bob", in: "storefront", present: true) }
            let start = ContinuousClock.now
            let counter = Mutex(3)
            let refused = await eventually(.seconds(30)) {
                let instances = counter.withLock { count in
                    count += 1  // a change every time: an unchanged Deploy is no write to refuse
                    return count
                }
                return await problem {
                    _ = try await bob.scale(app: "shop", environment: "prod", .init(instances: instances))
                }?.code == .forbidden
            }
            #expect(ContinuousClock.now - start < .seconds(30))
            #expect(refused, "bob still writes after leaving storefront")
        }
    }

    @Test func aDirectoryThatDoesNotAnswerFailsWritesClosed() async throws {
        try await AuthRig.run(membershipTTL: 0, operationTimeout: 1) { auth in
            _ = try await auth.seed()
            let bob = try await auth.login("bob")
            let before = try await auth.desired()
            auth.server.signal(SIGSTOP)
            let start = ContinuousClock.now
            let stopped = await problem {
                _ = try await bob.scale(app: "shop", environment: "prod", .init(instances: 4))
            }
            auth.server.signal(SIGCONT)
            #expect(stopped?.code == .directoryUnavailable, "\(String(describing: stopped))")
            #expect(stopped?.status == 503)
            #expect(stopped?.detail.contains("ldap://127.0.0.1:3392") == true, "names the directory")
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(try await auth.desired() == before)
            _ = try await bob.scale(app: "shop", environment: "prod", .init(instances: 4))

            let after = try await auth.desired()
            auth.server.signal(SIGKILL)
            let killed = await problem {
                _ = try await bob.scale(app: "shop", environment: "prod", .init(instances: 5))
            }
            #expect(killed?.code == .directoryUnavailable)
            #expect(try await auth.desired() == after)
            try await auth.server.restart()
            _ = try await bob.scale(app: "shop", environment: "prod", .init(instances: 5))
        }
    }

    @Test func secretsAreForTheTeamAndNeverReadBack() async throws {
        try await AuthRig.run { auth in
            let ada = try await auth.seed()
            let alice = try await auth.login("alice")
            let carol = try await auth.login("carol")
            let value = "v-\(UUID().uuidString)"
            let before = try await auth.desired()
            let refused = await problem {
                _ = try await carol.changeSecrets(app: "shop", environment: "prod", .init(set: ["API_KEY": value]))
            }
            #expect(refused?.code == .forbidden)
            #expect(try await auth.desired() == before)
            let written = try await alice.changeSecrets(
                app: "shop",
                environment: "prod",
                .init(set: ["API_KEY": value])
            )
            #expect(written.names == ["API_KEY"] && written.revision == 1)
            #expect(written.deploy == "shop-prod" && written.release == 2, "a new release rolls the secret out")
            let release = try await ada.releases("shop-prod")
            #expect(release.releases.last?.secrets == 1 && release.current == 2)
            let stored = try await auth.desired()
            let bad = await problem {
                _ = try await alice.changeSecrets(app: "shop", environment: "prod", .init(set: ["ATLANTIS_PORT": "1"]))
            }
            #expect(bad?.code == .badRequest)
            let huge = await problem {
                _ = try await alice.changeSecrets(
                    app: "shop",
                    environment: "prod",
                    .init(set: ["BIG": String(repeating: "x", count: 5000)])
                )
            }
            #expect(huge?.code == .badRequest && huge?.detail.contains("BIG") == true)
            #expect(try await auth.desired() == stored, "refused secrets wrote nothing")
            // Nowhere to be read back: not in an answer, the audit trail or ZooKeeper.
            var answers = try await auth.rig.raw(
                .GET,
                "/v1/apps/shop/environments/prod/secrets",
                headers: [
                    (
                        "Authorization",
                        "Bearer \(try await auth.rig.client.login(user: "dave", password: "dave-pw").token)"
                    )
                ]
            ).body
            #expect(answers.contains("API_KEY"))
            answers += String(decoding: try JSONEncoder().encode(try await ada.audit()), as: UTF8.self)
            answers += String(decoding: try JSONEncoder().encode(try await ada.list(.deploy)), as: UTF8.self)
            answers += String(decoding: try JSONEncoder().encode(release), as: UTF8.self)
            let dump = try await auth.rig.dump().values.joined(separator: "\n")
            #expect(!answers.contains(value) && !dump.contains(value))
            #expect(dump.contains("SecretSet"), "stored, sealed")
        }
    }

    @Test func noTokenIsStoredInZooKeeper() async throws {
        try await AuthRig.run { auth in
            let login = try await auth.rig.client.login(user: "alice", password: "alice-pw")
            let alice = auth.client(token: login.token)
            _ = try await auth.seed()
            let machine = try await alice.createToken(.init(name: "gitops", team: "storefront", ttl: "30d"))
            let dump = try await auth.rig.dump()
            let text = dump.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
            #expect(!text.contains(login.token) && !text.contains(machine.token))
            #expect(!text.contains(String(login.token.dropFirst(4))))
            #expect(dump.keys.contains(auth.rig.tree.token(hash: TokenStore.hash(machine.token))))
        }
    }
}
