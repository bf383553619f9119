/// Which CPU each of the proxy's event loops is pinned to (`MultiThreadedEventLoopGroup(pinnedCPUIDs:)`):
/// the CPUs the process may run on, in turn. A loop that stays on one core is not moved after each
/// wakeup, and loops on the same core take turns instead of chasing each other across cores:
/// fewer context switches per request (`bench/RESULTS.md`, stop 49).
public enum LoopPinning {
    /// The CPUs in a `Cpus_allowed_list` line of `/proc/<pid>/status` (`0-3,5,7-8`), in order;
    /// nil when `status` has no such line or it cannot be read.
    public static func allowedCPUs(status: String) -> [Int]? {
        guard
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return nil }
        var cpus: [Int] = []
        let list = line.dropFirst("Cpus_allowed_list:".count).filter { !$0.isWhitespace }
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            switch bounds.count {
            case 1:
                guard let cpu = bounds[0], cpu >= 0 else { return nil }
                cpus.append(cpu)
            case 2:
                guard let low = bounds[0], let high = bounds[1], low >= 0, low <= high else { return nil }
                cpus.append(contentsOf: low...high)
            default:
                return nil
            }
        }
        return cpus.isEmpty ? nil : cpus
    }

    /// The CPU for each of `loops` event loops: `allowed` in turn.
    public static func cpus(forLoops loops: Int, allowed: [Int]) -> [Int] {
        guard !allowed.isEmpty else { return [] }
        return (0..<loops).map { allowed[$0 % allowed.count] }
    }
}
