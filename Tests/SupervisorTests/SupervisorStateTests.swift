import Reconciler
import Testing

@testable import Docker
@testable import Supervisor

@Suite struct SupervisorStateTests {
    @Test func portsAreNeverHandedOutTwice() {
        let ports = PortAllocator(range: 100...103)
        #expect(ports.port(for: "a", publishedByContainers: [100]) == 101)
        #expect(ports.port(for: "a", publishedByContainers: [100]) == 101)  // stable for one instance
        #expect(ports.port(for: "b", publishedByContainers: [100]) == 102)
        ports.clash(103, for: "c")
        #expect(ports.port(for: "c", publishedByContainers: [100]) == nil)  // 103 clashed, the rest taken
        ports.release("a")
        #expect(ports.port(for: "c", publishedByContainers: [100]) == 101)
        ports.adopt(100, for: "d")
        ports.clash(102, for: "b")
        #expect(ports.port(for: "b", publishedByContainers: []) == nil)
    }

    @Test func restartsBackOffUntilTheInstanceIsHealthyAgain() {
        let history = InstanceHistory(backoff: Backoff(base: .seconds(1), cap: .seconds(8), jitter: 0))
        history.crashed("i", reason: "exit 1")
        #expect(history.waitRemaining("i") == nil)  // the first replacement is immediate
        history.crashed("i", reason: "exit 1")
        let second = history.waitRemaining("i")
        #expect(second != nil && second! <= .seconds(1) && second! > .milliseconds(900))
        history.crashed("i", reason: "exit 1")
        let third = history.waitRemaining("i")
        #expect(third != nil && third! > .milliseconds(1900))
        #expect(history.entry("i").restarts == 3)
        #expect(history.probed("i", ok: true, error: nil, threshold: 2))
        #expect(history.waitRemaining("i") == nil)
        #expect(history.entry("i").crashesSinceHealthy == 0)
        #expect(history.entry("i").restarts == 3)
    }

    @Test func failedStartsBackOffFromTheFirstSoAnEngineThatJustCameBackIsNotHammered() {
        let history = InstanceHistory(backoff: Backoff(base: .seconds(1), cap: .seconds(8), jitter: 0))
        history.startFailed("i", reason: "start: Cannot connect to the Docker daemon")
        let first = history.waitRemaining("i")
        #expect(first != nil && first! > .milliseconds(900))
        history.startFailed("i", reason: "start: Cannot connect to the Docker daemon")
        let second = history.waitRemaining("i")
        #expect(second != nil && second! > .milliseconds(1900))
        #expect(history.entry("i").restarts == 0, "a start that never ran is not a restart")
        #expect(history.entry("i").lastError == "start: Cannot connect to the Docker daemon")
        #expect(history.probed("i", ok: true, error: nil, threshold: 2))
        #expect(history.waitRemaining("i") == nil)
    }

    @Test func aStuckContainerIsSetAsideWithItsOwnRetryAndForgottenOnceRemoved() {
        let history = InstanceHistory(backoff: Backoff())
        #expect(history.mayRetryRemoval("i", container: "c1"))
        #expect(history.stuck("i", container: "c1", name: "atlantis-h-i", error: "removal in progress"))
        #expect(!history.stuck("i", container: "c1", name: "atlantis-h-i", error: "removal in progress"))
        #expect(!history.mayRetryRemoval("i", container: "c1"), "retried after a backoff, not on every pass")
        #expect(history.stuckContainers("i")["c1"]?.name == "atlantis-h-i")
        #expect(history.entry("i").lastError?.contains("cannot be removed (removal in progress)") == true)
        history.removed("i", container: "c1")
        #expect(history.stuckContainers("i").isEmpty)
        #expect(history.mayRetryRemoval("i", container: "c1"))
    }

    @Test func oneFailedProbeDoesNotMakeAHealthyInstanceUnhealthy() {
        let history = InstanceHistory(backoff: Backoff())
        #expect(!history.probed("i", ok: false, error: "refused", threshold: 2))  // never healthy yet
        #expect(history.entry("i").lastError == nil, "a probe refused while booting is not an error")
        #expect(history.probed("i", ok: true, error: nil, threshold: 2))
        #expect(history.probed("i", ok: false, error: "timeout", threshold: 2))
        #expect(!history.probed("i", ok: false, error: "timeout", threshold: 2))
        #expect(history.entry("i").lastError == "timeout")
    }

    @Test func restartCountsSurviveASupervisorRestartThroughTheSeed() {
        let history = InstanceHistory(backoff: Backoff())
        history.seed("i", restarts: 4, lastError: "exit 2")
        history.seed("i", restarts: 0, lastError: nil)  // seeded once only
        history.crashed("i", reason: "exit 3")
        #expect(history.entry("i").restarts == 5)
    }

    @Test func imageReferencesSplitIntoRepositoryAndTag() {
        #expect(
            DockerClient.split(reference: "127.0.0.1:5000/atlantis/sample:v1") == (
                "127.0.0.1:5000/atlantis/sample", "v1"
            )
        )
        #expect(
            DockerClient.split(reference: "127.0.0.1:5000/atlantis/sample") == (
                "127.0.0.1:5000/atlantis/sample", "latest"
            )
        )
        #expect(DockerClient.split(reference: "busybox") == ("busybox", "latest"))
        #expect(DockerClient.split(reference: "r/x@sha256:abc") == ("r/x@sha256:abc", nil))
    }
}
