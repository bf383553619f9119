import Supervisor
import Testing

@Suite struct EphemeralPortsTests {
    @Test func procTextIsRead() {
        #expect(EphemeralPorts.parse(range: "32768\t60999\n", reserved: "\n") == EphemeralPorts(range: 32768...60999))
        #expect(
            EphemeralPorts.parse(range: "32768 60999", reserved: "33000-33099,40000\n")
                == EphemeralPorts(range: 32768...60999, reserved: [33000...33099, 40000...40000])
        )
        #expect(EphemeralPorts.parse(range: "60999 32768", reserved: "") == nil)
        #expect(EphemeralPorts.parse(range: "32768", reserved: "") == nil)
        #expect(EphemeralPorts.parse(range: "", reserved: "") == nil)
    }

    @Test(arguments: [
        (31000...31999, 0),  // the supervisor's default: below the range
        (32000...32999, 232),  // the old default: 32768-32999
        (34000...34019, 20),
        (60990...61010, 10),
        (61000...61100, 0),
        (33000...33099, 0),  // all reserved
        (33090...33110, 11),  // 33090-33099 reserved, 33100-33110 not
    ])
    func portsTheKernelMayTakeAreCounted(ports: ClosedRange<Int>, exposed: Int) {
        let kernel = EphemeralPorts(range: 32768...60999, reserved: [33000...33099])
        #expect(kernel.exposed(ports) == exposed)
        #expect((kernel.warning(for: ports) != nil) == (exposed > 0))
    }

    @Test func theWarningSaysWhatToChange() throws {
        let warning = try #require(EphemeralPorts(range: 32768...60999).warning(for: 32000...32999))
        #expect(warning.contains("232 of the instance ports 32000-32999"))
        #expect(warning.contains("32768-60999"))
        #expect(warning.contains("below 32768"))
        #expect(warning.contains("ip_local_reserved_ports"))
    }
}
