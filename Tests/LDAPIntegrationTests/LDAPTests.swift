import Foundation
import LDAP
import Spawn
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The libldap driver against a real slapd (scripts/ldap.sh, examples/ldap/directory.ldif).
@Suite("LDAP against a real slapd", .serialized)
struct LDAPTests {
    let server: TestDirectory
    let directory: Directory

    init() throws {
        server = try TestDirectory.shared(name: "ldaptest", port: 3391)
        directory = Directory(try DirectoryConfiguration.load(path: server.configuration))
    }

    /// Nothing listens there: an error other than "unavailable" proves no request was sent.
    static let nowhere: Directory = {
        var configuration = DirectoryConfiguration(
            uri: "ldap://127.0.0.1:1",
            base: "dc=example,dc=org",
            serviceDN: "cn=atlantis,ou=services,dc=example,dc=org",
            servicePassword: "x"
        )
        configuration.networkTimeout = 1
        return Directory(configuration)
    }()

    @Test func aMemberLogsInWithTheirTeams() async throws {
        let alice = try await directory.authenticate(user: "alice", password: "alice-pw")
        #expect(alice.dn == "uid=alice,ou=people,dc=example,dc=org")
        #expect(alice.teams == ["sample-team", "storefront"])
        #expect(alice.displayName == "Alice Example")
        #expect(!alice.admin)
        let ada = try await directory.authenticate(user: "ada", password: "ada-pw")
        #expect(ada.admin)
        #expect(ada.teams.isEmpty, "the admins' group is not a team")
        let dave = try await directory.authenticate(user: "dave", password: "dave-pw")
        #expect(dave.teams.isEmpty)
    }

    @Test func aWrongPasswordAndAnUnknownUserFailAlike() async throws {
        await #expect(throws: LDAPError.self) {
            try await self.directory.authenticate(user: "alice", password: "bob-pw")
        }
        do {
            _ = try await directory.authenticate(user: "alice", password: "wrong")
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.kind == .invalidCredentials)
        }
        do {
            _ = try await directory.authenticate(user: "nobody", password: "x")
            Issue.record("an unknown user was accepted")
        } catch {
            #expect(error.kind == .invalidCredentials)
        }
    }

    @Test(arguments: [
        "*)(uid=*", "alice)(objectClass=*", "uid=alice,ou=people", "alice,dc=evil", "Alice", "", "a\\2a", "ali ce",
    ])
    func injectionIsRefusedWithoutABind(name: String) async throws {
        do {
            _ = try await Self.nowhere.authenticate(user: name, password: "x")
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.kind == .refused, "\(name): \(error)")
        }
    }

    @Test func anEmptyPasswordIsRefusedWithoutABind() async throws {
        do {
            _ = try await Self.nowhere.authenticate(user: "alice", password: "")
            Issue.record("an empty password was accepted")
        } catch {
            #expect(error.kind == .refused)
        }
        // Against the real server too: not an "unauthenticated bind" that succeeds.
        do {
            _ = try await directory.authenticate(user: "alice", password: "")
            Issue.record("an empty password was accepted")
        } catch {
            #expect(error.kind == .refused)
        }
    }

    @Test func escapingKeepsValuesValues() {
        #expect(LDAPEscaping.filterValue("*)(uid=*") == "\\2a\\29\\28uid=\\2a")
        #expect(LDAPEscaping.filterValue("a\\b\0") == "a\\5cb\\00")
        #expect(LDAPEscaping.filterValue("plain-name.1") == "plain-name.1")
        #expect(LDAPEscaping.dnValue("a,b+c=d") == "a\\,b\\+c\\=d")
        #expect(LDAPEscaping.dnValue(" #x ") == "\\ #x\\ ")
        #expect(LDAPEscaping.dnValue("#x") == "\\#x")
        #expect(LDAPEscaping.dnValue("é") == "\\c3\\a9")
    }

    @Test func membershipFollowsTheDirectory() async throws {
        #expect(try await directory.membership(of: "carol")?.teams == ["payments"])
        try server.modify(
            """
            dn: cn=storefront,ou=teams,dc=example,dc=org
            changetype: modify
            add: member
            member: uid=carol,ou=people,dc=example,dc=org

            """
        )
        defer {
            try? server.modify(
                """
                dn: cn=storefront,ou=teams,dc=example,dc=org
                changetype: modify
                delete: member
                member: uid=carol,ou=people,dc=example,dc=org

                """
            )
        }
        #expect(try await directory.membership(of: "carol")?.teams == ["payments", "storefront"])
        #expect(try await directory.membership(of: "nobody") == nil)
    }

    @Test func aStoppedServerIsUnavailableWithinTheTimeout() async throws {
        var configuration = directory.configuration
        configuration.operationTimeout = 1
        configuration.networkTimeout = 1
        let quick = Directory(configuration)
        server.signal(SIGSTOP)
        defer { server.signal(SIGCONT) }
        let start = ContinuousClock.now
        do {
            _ = try await quick.authenticate(user: "alice", password: "alice-pw")
            Issue.record("a stopped server answered")
        } catch {
            #expect(error.kind == .unavailable, "\(error)")
            #expect(error.description.contains("ldap://127.0.0.1:3391"), "the error names the directory")
        }
        let waited = ContinuousClock.now - start
        #expect(waited < .seconds(4), "gave up after \(waited), not within the 1 s timeouts")
        server.signal(SIGCONT)
        #expect(try await quick.membership(of: "alice")?.teams.contains("storefront") == true)
    }

    @Test func aKilledServerIsUnavailableThenServesAgain() async throws {
        server.signal(SIGKILL)
        do {
            _ = try await directory.membership(of: "alice")
            Issue.record("a killed server answered")
        } catch {
            #expect(error.kind == .unavailable, "\(error)")
        }
        try await server.restart()
        #expect(try await directory.membership(of: "alice")?.teams.contains("storefront") == true)
    }

    @Test func startTLSWithTheServersCAThenRefusedWithAnother() async throws {
        let tls = try TestDirectory.shared(name: "ldaptls", port: 3394, tls: true)
        var configuration = try DirectoryConfiguration.load(path: tls.configuration)
        configuration.startTLS = true
        configuration.caFile = tls.certificateAuthority
        let alice = try await Directory(configuration).authenticate(user: "alice", password: "alice-pw")
        #expect(alice.teams.contains("storefront"))
        // A certificate that does not chain to the CA given (another CA): refused, never cleartext.
        let other = tls.folder + "/other-ca"
        let made = Spawn.run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=another CA",
            "-keyout", other + ".key", "-out", other + ".pem",
        ])
        try #require(made.status == 0, "\(made.output)")
        configuration.caFile = other + ".pem"
        do {
            _ = try await Directory(configuration).authenticate(user: "alice", password: "alice-pw")
            Issue.record("a server whose certificate was not verified was used")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.description.contains("StartTLS"), "\(error)")
        }
    }

    @Test func startTLSNeverFallsBackToCleartext() async throws {
        var configuration = directory.configuration
        configuration.startTLS = true
        do {
            _ = try await Directory(configuration).authenticate(user: "alice", password: "alice-pw")
            Issue.record("a server without TLS was used in cleartext")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.description.contains("StartTLS"), "\(error)")
        }
    }
}
