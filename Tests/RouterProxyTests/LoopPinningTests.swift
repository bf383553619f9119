import RouterProxy
import Testing

@Suite struct LoopPinningTests {
    @Test(arguments: [
        ("Name:\tatlantis-router\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n", [0, 1]),
        ("Cpus_allowed_list:\t0-3,5,7-8\nMems_allowed_list:\t0\n", [0, 1, 2, 3, 5, 7, 8]),
        ("Cpus_allowed_list:\t6\n", [6]),
    ])
    func theAllowedCPUsAreReadFromTheStatusFile(status: String, cpus: [Int]) {
        #expect(LoopPinning.allowedCPUs(status: status) == cpus)
    }

    @Test(arguments: ["Name:\tx\n", "Cpus_allowed_list:\t\n", "Cpus_allowed_list:\t3-1\n", "Cpus_allowed_list:\ta-b\n"])
    func anUnreadableListPinsNothing(status: String) {
        #expect(LoopPinning.allowedCPUs(status: status) == nil)
    }

    @Test func loopsTakeTheAllowedCPUsInTurn() {
        #expect(LoopPinning.cpus(forLoops: 8, allowed: [0, 1]) == [0, 1, 0, 1, 0, 1, 0, 1])
        #expect(LoopPinning.cpus(forLoops: 3, allowed: [2, 5, 7, 9]) == [2, 5, 7])
        #expect(LoopPinning.cpus(forLoops: 2, allowed: []) == [])
    }
}
