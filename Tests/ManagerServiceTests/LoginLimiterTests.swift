import ManagerService
import Testing

@Suite("login limits")
struct LoginLimiterTests {
    @Test func failuresPerUserAndAttemptsPerAddressEndWithTheWindow() {
        let limiter = LoginLimiter(.init(failuresPerUser: 2, attemptsPerAddress: 4, window: 60))
        #expect(limiter.admit(user: "bob", address: "a", now: 0) == nil)
        limiter.failed(user: "bob", now: 0)
        #expect(limiter.admit(user: "bob", address: "a", now: 1) == nil)
        limiter.failed(user: "bob", now: 1)
        #expect(limiter.admit(user: "bob", address: "b", now: 2) == 58, "bob: two failures in the window")
        #expect(limiter.admit(user: "alice", address: "a", now: 2) == nil, "another user from the same address")
        #expect(limiter.admit(user: "carol", address: "a", now: 3) == nil)
        #expect(limiter.admit(user: "dave", address: "a", now: 4) == 56, "address a: four attempts in the window")
        #expect(limiter.admit(user: "dave", address: "c", now: 4) == nil)
        #expect(limiter.admit(user: "bob", address: "b", now: 61.5) == nil, "the window has passed")
    }
}
