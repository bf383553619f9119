public import Foundation
import Synchronization

/// Login attempts allowed per user and per address in a sliding window: failures per user (a
/// password guessed for one account), every attempt per address (one client guessing many).
/// Kept in this manager's memory: behind several managers, each allows its own share.
public final class LoginLimiter: Sendable {
    public struct Limits: Sendable {
        public var failuresPerUser: Int
        public var attemptsPerAddress: Int
        public var window: Double

        public init(failuresPerUser: Int = 5, attemptsPerAddress: Int = 30, window: Double = 60) {
            self.failuresPerUser = failuresPerUser
            self.attemptsPerAddress = attemptsPerAddress
            self.window = window
        }
    }

    let limits: Limits
    private let state = Mutex<(users: [String: [Double]], addresses: [String: [Double]])>(([:], [:]))

    public init(_ limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds until `user` from `address` may try again; nil when the attempt may go ahead
    /// (it is then counted for the address).
    public func admit(user: String, address: String, now: Double = Date().timeIntervalSince1970) -> Double? {
        state.withLock { state in
            let since = now - limits.window
            state.users[user] = state.users[user]?.filter { $0 > since }
            state.addresses[address] = state.addresses[address]?.filter { $0 > since }
            if let failures = state.users[user], failures.count >= limits.failuresPerUser {
                return failures[0] + limits.window - now
            }
            let attempts = state.addresses[address] ?? []
            if attempts.count >= limits.attemptsPerAddress { return attempts[0] + limits.window - now }
            state.addresses[address, default: []].append(now)
            // Bounded memory: forget the oldest keys when too many accumulate.
            if state.users.count > 10_000 { state.users = state.users.filter { !$0.value.isEmpty } }
            if state.addresses.count > 10_000 { state.addresses = state.addresses.filter { !$0.value.isEmpty } }
            return nil
        }
    }

    public func failed(user: String, now: Double = Date().timeIntervalSince1970) {
        state.withLock { $0.users[user, default: []].append(now) }
    }
}
