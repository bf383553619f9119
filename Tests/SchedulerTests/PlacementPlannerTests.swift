import Testing
import ZKModel

@testable import Scheduler

@Suite struct PlacementPlannerTests {
    /// Three zones, two hosts each, roomy.
    static let hosts: [PlacementPlanner.Host] = ["a", "b", "c"].flatMap { zone in
        (1...2).map {
            PlacementPlanner.Host(id: "\(zone)\($0)", zone: zone, freeCPU: 8, freeMemoryMB: 8192, freeSlots: 10)
        }
    }

    /// One planner for the whole test: instance ids never repeat.
    let shared: PlacementPlanner = {
        var p = PlacementPlanner()
        let counter = Counter()
        p.newID = { deploy in "\(deploy)-\(counter.next())" }
        return p
    }()

    func planner() -> PlacementPlanner { shared }

    final class Counter: @unchecked Sendable {
        var n = 0
        func next() -> Int {
            n += 1
            return n
        }
    }

    func input(
        desired: Int,
        release: Int = 1,
        placement: Placement = Placement(deploy: "web"),
        hosts: [PlacementPlanner.Host] = hosts,
        healthy: Set<String> = [],
        ready: Set<String> = [],
        lost: Set<String> = [],
        now: Double = 1000,
        surge: Int = 1,
        unavailable: Int = 0,
        keepWarm: Double = 0
    ) -> PlacementPlanner.Input {
        .init(
            deploy: "web",
            desired: desired,
            maxSurge: surge,
            maxUnavailable: unavailable,
            deadlineSeconds: 60,
            keepWarmSeconds: keepWarm,
            release: release,
            placement: placement,
            hosts: hosts,
            lostHosts: lost,
            healthy: healthy,
            ready: ready,
            cpu: 0.5,
            memoryMB: 64,
            zonesOnly: nil,
            now: now
        )
    }

    func zones(_ p: Placement) -> [String: Int] {
        p.instances.reduce(into: [:]) { $0[$1.zone, default: 0] += 1 }
    }

    func hostsUsed(_ p: Placement) -> [String: Int] {
        p.instances.reduce(into: [:]) { $0[$1.host, default: 0] += 1 }
    }

    @Test func firstPlacementSpreadsOverZonesThenHosts() {
        let d = planner().plan(input(desired: 6))
        #expect(d.added.count == 6)
        #expect(zones(d.placement) == ["a": 2, "b": 2, "c": 2])
        #expect(hostsUsed(d.placement).values.allSatisfy { $0 == 1 })
        let seven = planner().plan(input(desired: 7))
        #expect(zones(seven.placement).values.sorted() == [2, 2, 3])
    }

    @Test func scaleDownKeepsTheSpread() {
        let six = planner().plan(input(desired: 6)).placement
        let all = Set(six.instances.map(\.id))
        let d = planner().plan(input(desired: 3, placement: six, healthy: all))
        #expect(d.removed.count == 3)
        #expect(zones(d.placement) == ["a": 1, "b": 1, "c": 1])
        #expect(d.complete)
    }

    @Test func aLostHostsInstancesArePlacedAgainInItsZoneFirst() {
        let six = planner().plan(input(desired: 6)).placement
        let onA1 = six.instances.filter { $0.host == "a1" }
        let live = Self.hosts.filter { $0.id != "a1" }
        let d = planner().plan(
            input(desired: 6, placement: six, hosts: live, healthy: Set(six.instances.map(\.id)), lost: ["a1"])
        )
        #expect(Set(d.removed.map(\.id)) == Set(onA1.map(\.id)))
        #expect(d.added.count == onA1.count)
        #expect(d.added.allSatisfy { $0.host == "a2" })
        #expect(zones(d.placement) == ["a": 2, "b": 2, "c": 2])
    }

    @Test func aWholeZoneLostMovesItsShareAndTheSpreadReturnsWithTheZone() {
        let three = planner().plan(input(desired: 3)).placement
        let withoutC = Self.hosts.filter { $0.zone != "c" }
        let healthy = Set(three.instances.map(\.id))
        let moved = planner().plan(
            input(desired: 3, placement: three, hosts: withoutC, healthy: healthy, lost: ["c1", "c2"])
        )
        #expect(zones(moved.placement).values.sorted() == [1, 2])
        #expect(moved.placement.instances.allSatisfy { $0.zone != "c" })
        // Zone c back, all healthy: one more starts in c, then one leaves the zone that had two.
        let all = Set(moved.placement.instances.map(\.id))
        let back = planner().plan(input(desired: 3, placement: moved.placement, healthy: all))
        #expect(back.added.count == 1 && back.added.first?.zone == "c")
        #expect(back.removed.isEmpty)
        let settled = planner().plan(
            input(desired: 3, placement: back.placement, healthy: Set(back.placement.instances.map(\.id)))
        )
        #expect(settled.removed.count == 1)
        #expect(zones(settled.placement) == ["a": 1, "b": 1, "c": 1])
    }

    @Test func rollingUpdateSurgesOneAtATimeAndNeverDropsBelowDesired() {
        var placement = planner().plan(input(desired: 3)).placement
        placement.stable = 1
        var healthy = Set(placement.instances.map(\.id))
        let p = planner()
        var steps = 0
        while steps < 20 {
            steps += 1
            let d = p.plan(input(desired: 3, release: 2, placement: placement, healthy: healthy))
            placement = d.placement
            #expect(placement.instances.count <= 4, "surge 1 over 3")
            #expect(placement.instances.filter { healthy.contains($0.id) }.count >= 3, "never below 3 healthy")
            if d.complete { break }
            healthy.formUnion(d.added.map(\.id))  // new instances come up healthy
        }
        #expect(placement.instances.count == 3 && placement.instances.allSatisfy { $0.release == 2 })
        #expect(zones(placement) == ["a": 1, "b": 1, "c": 1])
        #expect(placement.stable == 2)
        #expect(steps <= 8)
    }

    @Test func aReleaseNotHealthyByItsDeadlineIsRolledBack() {
        var placement = planner().plan(input(desired: 3)).placement
        placement.stable = 1
        let healthy = Set(placement.instances.map(\.id))
        let p = planner()
        let started = p.plan(input(desired: 3, release: 2, placement: placement, healthy: healthy, now: 1000))
        #expect(started.added.count == 1 && started.rolledBack == nil)
        let late = p.plan(input(desired: 3, release: 2, placement: started.placement, healthy: healthy, now: 1061))
        #expect(late.rolledBack == 2)
        #expect(late.placement.failed == [2])
        #expect(late.placement.target == 1)
        #expect(late.removed.map(\.release) == [2], "the unhealthy new instance goes")
        #expect(late.placement.instances.allSatisfy { $0.release == 1 })
        // Release 2 is not retried; a release 3 is.
        let after = p.plan(input(desired: 3, release: 2, placement: late.placement, healthy: healthy, now: 1100))
        #expect(after.added.isEmpty && after.complete)
        let next = p.plan(input(desired: 3, release: 3, placement: after.placement, healthy: healthy, now: 1101))
        #expect(next.added.first?.release == 3)
    }

    @Test func shortCapacityIsReportedAndWhatFitsIsPlaced() {
        let small = [PlacementPlanner.Host(id: "a1", zone: "a", freeCPU: 1, freeMemoryMB: 8192, freeSlots: 10)]
        let d = planner().plan(input(desired: 3, hosts: small))
        #expect(d.added.count == 2)  // 0.5 cpu each
        #expect(d.shortage?.contains("1 of 3 instances could not be placed") == true)
        #expect(!d.complete)
        let none = planner().plan(input(desired: 2, hosts: []))
        #expect(none.added.isEmpty && none.shortage?.contains("no live supervisor") == true)
    }

    @Test func maxUnavailableLetsARolloutProceedWithoutSurge() {
        var placement = planner().plan(input(desired: 2)).placement
        placement.stable = 1
        let healthy = Set(placement.instances.map(\.id))
        let d = planner().plan(
            input(desired: 2, release: 2, placement: placement, healthy: healthy, surge: 0, unavailable: 1)
        )
        #expect(d.removed.count == 1 && d.added.count == 1)
        #expect(d.placement.instances.count == 2)
    }

    @Test func replacedInstancesStayWarmAndAnUndoRoutesThemAgainWithoutNewOnes() {
        let p = planner()
        var placement = p.plan(input(desired: 2)).placement
        placement.stable = 1
        let v1 = Set(placement.instances.map(\.id))
        var serving = v1
        var ready = v1  // passing health checks, routed or warm
        // Roll out release 2 with keepWarm: the v1 instances become standby, not removed.
        for _ in 0..<10 {
            let d = p.plan(
                input(desired: 2, release: 2, placement: placement, healthy: serving, ready: ready, keepWarm: 120)
            )
            #expect(d.removed.isEmpty, "nothing is stopped while keepWarm lasts")
            placement = d.placement
            serving.formUnion(d.added.map(\.id))
            ready.formUnion(d.added.map(\.id))
            serving.subtract(d.changed.filter(\.isStandby).map(\.id))
            if d.complete { break }
        }
        let warm = placement.instances.filter(\.isStandby)
        #expect(Set(warm.map(\.id)) == v1 && warm.allSatisfy { $0.release == 1 })
        #expect(placement.instances.filter { !$0.isStandby }.allSatisfy { $0.release == 2 })

        // Undo to release 1: the warm ones are routed again, nothing new is started.
        let all = Set(placement.instances.map(\.id))
        let undo = p.plan(
            input(desired: 2, release: 1, placement: placement, healthy: serving, ready: all, now: 1010, keepWarm: 120)
        )
        #expect(undo.added.isEmpty)
        #expect(Set(undo.changed.filter { !$0.isStandby }.map(\.id)) == v1)
        // Once their supervisors report them routed, the release-2 ones go warm in turn.
        let v2 = all.subtracting(v1)
        let next = p.plan(
            input(
                desired: 2,
                release: 1,
                placement: undo.placement,
                healthy: v1.union(v2),
                ready: all,
                now: 1011,
                keepWarm: 120
            )
        )
        #expect(next.added.isEmpty && next.complete)
        #expect(next.placement.instances.filter(\.isStandby).allSatisfy { $0.release == 2 })

        // After keepWarm, the warm ones are stopped.
        let later = p.plan(
            input(desired: 2, release: 1, placement: next.placement, healthy: v1, ready: all, now: 1200, keepWarm: 120)
        )
        #expect(later.removed.count == 2 && later.removed.allSatisfy { $0.release == 2 })
        #expect(later.placement.instances.count == 2)
    }
}
