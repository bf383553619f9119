import ZKModel

extension PlacementPlanner {
    /// The state of one planning pass: the decision so far, the hosts' free capacity as it is
    /// used, the release converged to, and the active instances of it (`current`) and of others
    /// (`old`). Each phase reads and updates it in the order `plan` calls them.
    struct Pass {
        let input: Input
        let newID: @Sendable (String) -> String
        var decision: Decision
        var hosts: [String: Host]
        /// Reported healthy and routed.
        let serving: Set<String>
        /// Healthy, routed or warm.
        let ready: Set<String>
        /// The zones this deploy may use, among the live hosts'.
        let zones: Set<String>
        var target: Int
        var current: [Placement.Instance] = []
        var old: [Placement.Instance] = []

        init(input: Input, newID: @escaping @Sendable (String) -> String) {
            self.input = input
            self.newID = newID
            decision = Decision(placement: input.placement)
            hosts = Dictionary(uniqueKeysWithValues: input.hosts.map { ($0.id, $0) })
            serving = input.healthy
            ready = input.ready.union(input.healthy)
            zones = Set(input.hosts.map(\.zone)).filter { zone in input.zonesOnly.map { $0.contains(zone) } ?? true }
            target = input.release
        }

        /// Instances on lost hosts are gone: drop them (replacements follow in `placeMissing`).
        mutating func dropLostHosts() {
            for instance in decision.placement.instances where input.lostHosts.contains(instance.host) {
                decision.removed.append(instance)
            }
            decision.placement.instances.removeAll { input.lostHosts.contains($0.host) }
        }

        /// Which release to converge to: the pointer's, unless it failed before or has not become
        /// healthy within its deadline (then the last stable one, and the release is marked failed).
        mutating func chooseTarget() {
            if decision.placement.failed.contains(input.release), let stable = decision.placement.stable {
                target = stable
            }
            if decision.placement.target != target {
                decision.placement.target = target
                decision.placement.targetSince = input.now
            }
            splitActive()
            let settled =
                old.isEmpty && current.count == input.desired && current.allSatisfy { serving.contains($0.id) }
            if !settled, target == input.release, let stable = decision.placement.stable, stable != target,
                input.now - (decision.placement.targetSince ?? input.now) > input.deadlineSeconds
            {
                decision.placement.failed.append(target)
                decision.rolledBack = target
                target = stable
                decision.placement.target = target
                decision.placement.targetSince = input.now
                splitActive()
            }
        }

        /// Warm instances of the target release (a rollback, an undo) are routed again at once, in
        /// place of new ones. Others expire after keepWarmSeconds, or when unhealthy.
        mutating func reviveOrExpireWarmInstances() {
            for instance in decision.placement.instances where instance.isStandby {
                if instance.release == target, current.count < input.desired, ready.contains(instance.id) {
                    setStandby(instance, false)
                    current.append(instance)
                } else if !ready.contains(instance.id)
                    || input.now - (instance.standbySince ?? 0) >= input.keepWarmSeconds
                {
                    remove(instance)
                }
            }
        }

        /// Too many of the target release (scale-down, or the surplus of a rebalance): remove from
        /// the fullest zone, then the fullest host, unhealthy ones first; never a healthy one while
        /// that would leave fewer healthy than desired (a rebalance waits for its new one).
        mutating func trimSurplus() {
            while current.count > input.desired, let victim = PlacementPlanner.fullest(current, healthy: serving) {
                let healthyNow = current.filter { serving.contains($0.id) }.count
                if serving.contains(victim.id) && healthyNow - 1 < input.desired { break }
                remove(victim)
                current.removeAll { $0.id == victim.id }
            }
        }

        /// Old releases: unhealthy ones go at once; healthy ones while availability allows, kept warm
        /// (running, not routed) when the deploy asks for it, for a rollback in milliseconds.
        mutating func retireOldReleases() {
            for instance in old where !serving.contains(instance.id) {
                remove(instance)
            }
            old.removeAll { !serving.contains($0.id) }
            let minimumAvailable = max(0, input.desired - input.maxUnavailable)
            let servingCurrent = current.filter { serving.contains($0.id) }.count
            var available = servingCurrent + old.count
            for instance in PlacementPlanner.spreadOrder(old, among: decision.placement.instances)
            where available - 1 >= minimumAvailable || servingCurrent >= input.desired {
                if input.keepWarmSeconds > 0 { setStandby(instance, true) } else { remove(instance) }
                old.removeAll { $0.id == instance.id }
                available -= 1
            }
        }

        /// New instances of the target release, within the surge budget, spread over zones. When
        /// some cannot be placed, warm instances give their room back first (the next pass places
        /// into it); without any, the shortage says why.
        mutating func placeMissing() {
            let missing = input.desired - current.count
            let room = old.isEmpty ? missing : max(0, input.desired + input.maxSurge - current.count - old.count)
            var unplaced = 0
            for _ in 0..<max(0, min(missing, room)) {
                guard let host = chooseHost(in: zones) else {
                    unplaced += 1
                    continue
                }
                current.append(add(on: host))
                hosts[host.id]?.freeSlots -= 1
                hosts[host.id]?.freeCPU -= input.cpu
                hosts[host.id]?.freeMemoryMB -= input.memoryMB
            }
            guard unplaced > 0 else { return }
            let warm = decision.placement.instances.filter { $0.isStandby && $0.release != target }
            for instance in warm { remove(instance) }
            if warm.isEmpty { decision.shortage = shortage(unplaced: unplaced) }
        }

        /// Spread kept after a host loss or a return: when settled and one zone holds two more than
        /// another that has room, start one more in the emptiest zone; `trimSurplus` then removes
        /// one from the fullest once the new one is healthy.
        mutating func rebalanceZones() {
            let servingAfter = current.filter { serving.contains($0.id) }.count
            guard old.isEmpty, current.count == input.desired, servingAfter == input.desired,
                decision.added.isEmpty, decision.removed.isEmpty, decision.changed.isEmpty
            else { return }
            let counts = PlacementPlanner.zoneCounts(current, zones: zones)
            if let most = counts.max(by: { $0.value < $1.value }),
                let least = counts.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }),
                most.value - least.value > 1,
                let host = chooseHost(in: [least.key])
            {
                _ = add(on: host)
            }
        }

        /// Complete when exactly the desired instances are active, all of the target release and
        /// serving (then it becomes the stable release); when the next warm instance expires.
        mutating func finish() -> Decision {
            let finalActive = decision.placement.instances.filter { !$0.isStandby }
            decision.complete =
                finalActive.count == input.desired
                && finalActive.allSatisfy { $0.release == target && serving.contains($0.id) }
            if decision.complete { decision.placement.stable = target }
            decision.nextExpiry = decision.placement.instances.compactMap {
                $0.isStandby ? ($0.standbySince ?? 0) + input.keepWarmSeconds : nil
            }.min()
            return decision
        }

        // MARK: Steps the phases share

        private mutating func splitActive() {
            current = active(release: target, equal: true)
            old = active(release: target, equal: false)
        }

        private func active(release: Int, equal: Bool) -> [Placement.Instance] {
            decision.placement.instances.filter { !$0.isStandby && ($0.release == release) == equal }
        }

        private func chooseHost(in zones: Set<String>) -> Host? {
            PlacementPlanner.choose(
                zones: zones,
                hosts: Array(hosts.values),
                placed: current,
                cpu: input.cpu,
                memoryMB: input.memoryMB
            )
        }

        /// A new instance of the target release on `host`, added to the placement and the decision.
        private mutating func add(on host: Host) -> Placement.Instance {
            let instance = Placement.Instance(id: newID(input.deploy), host: host.id, zone: host.zone, release: target)
            decision.placement.instances.append(instance)
            decision.added.append(instance)
            return instance
        }

        private mutating func remove(_ instance: Placement.Instance) {
            decision.placement.instances.removeAll { $0.id == instance.id }
            decision.removed.append(instance)
            if var host = hosts[instance.host] {
                host.freeSlots += 1
                host.freeCPU += input.cpu
                host.freeMemoryMB += input.memoryMB
                hosts[instance.host] = host
            }
        }

        private mutating func setStandby(_ instance: Placement.Instance, _ standby: Bool) {
            guard let index = decision.placement.instances.firstIndex(where: { $0.id == instance.id }) else { return }
            decision.placement.instances[index].standby = standby ? true : nil
            decision.placement.instances[index].standbySince = standby ? input.now : nil
            decision.changed.append(decision.placement.instances[index])
        }

        private func shortage(unplaced: Int) -> String {
            if zones.isEmpty {
                return "no live supervisor\(input.zonesOnly.map { " in zones \($0.joined(separator: ", "))" } ?? "")"
            }
            return "\(unplaced) of \(input.desired) instances could not be placed: no live host has room for one more "
                + "(\(input.cpu) cpu, \(input.memoryMB) MB, a container slot) in zones \(zones.sorted().joined(separator: ", "))"
        }
    }
}
