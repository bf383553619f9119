import ArgumentParser
import Foundation
import ManagerAPI
import ManagerClient

/// The cost of authorization: the same write (a scale that changes the Deploy each time)
/// through a manager without a directory and through one with it (a logged-in member, teams
/// cached), interleaved; then `--logins` logins. Prints p50/p99 of each.
struct BenchAuthWrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth-write",
        abstract: "Scale writes through an open and an authorizing manager, and logins; p50/p99."
    )

    @Option(help: "The manager without a directory.")
    var open: String

    @Option(help: "The manager with --ldap-config.")
    var authorizing: String

    @Option var user = "alice"
    @Option var password = "alice-pw"
    @Option var app = "shop"
    @Option var env = "prod"
    @Option var count = 200
    @Option var logins = 50

    func run() async throws {
        let anonymous = ManagerClient(baseURL: open)
        let session = try await ManagerClient(baseURL: authorizing).login(user: user, password: password)
        let member = ManagerClient(baseURL: authorizing, token: session.token)
        var plain: [Double] = []
        var authorized: [Double] = []
        func time(_ body: () async throws -> Void) async throws -> Double {
            let started = ContinuousClock.now
            try await body()
            return (ContinuousClock.now - started) / .milliseconds(1)
        }
        for i in 0..<count {
            let request = ScaleRequest(instances: 1 + i % 2)
            plain.append(try await time { _ = try await anonymous.scale(app: app, environment: env, request) })
            authorized.append(try await time { _ = try await member.scale(app: app, environment: env, request) })
        }
        var login: [Double] = []
        for _ in 0..<logins {
            login.append(
                try await time {
                    _ = try await ManagerClient(baseURL: authorizing).login(user: user, password: password)
                }
            )
        }
        func pct(_ values: [Double], _ q: Double) -> String {
            let sorted = values.sorted()
            return String(
                format: "%.2f",
                sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
            )
        }
        print("write open:       p50 \(pct(plain, 0.5)) ms, p99 \(pct(plain, 0.99)) ms (\(count))")
        print("write authorized: p50 \(pct(authorized, 0.5)) ms, p99 \(pct(authorized, 0.99)) ms (\(count))")
        print("login:            p50 \(pct(login, 0.5)) ms, p99 \(pct(login, 0.99)) ms (\(logins))")
        let difference = (Double(pct(authorized, 0.5)) ?? 0) - (Double(pct(plain, 0.5)) ?? 0)
        print(String(format: "authorization costs %+.2f ms at p50", difference))
    }
}
