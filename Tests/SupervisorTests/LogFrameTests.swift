import NIOCore
import Testing

@testable import Docker

/// The Engine's multiplexed log framing, cut into stamped lines.
@Suite("docker: log frames")
struct LogFrameTests {
    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
            + payload
    }

    @Test func linesAcrossFramesAndChunksKeepTheirStreamAndStamp() {
        var splitter = LogFrameSplitter()
        let bytes =
            Self.frame(1, "2026-12-03T14:30:00.1Z hello\n2026-12-03T14:30:01.123456789Z wor")
            + Self.frame(2, "2026-12-03T14:30:02Z oops\n") + Self.frame(1, "ld\n")
        var lines: [ContainerLogLine] = []
        // Fed in 5-byte pieces: headers and lines split anywhere.
        for start in stride(from: 0, to: bytes.count, by: 5) {
            lines += splitter.feed(ByteBuffer(bytes: bytes[start..<min(start + 5, bytes.count)]))
        }
        lines += splitter.finish()
        #expect(lines.map(\.text) == ["hello", "oops", "world"])
        #expect(lines.map(\.stream) == [.stdout, .stderr, .stdout])
        #expect(lines[0].time == "2026-12-03T14:30:00.100000000Z", "trimmed zeros put back: stamps sort as text")
        #expect(lines[1].time == "2026-12-03T14:30:02.000000000Z")
        #expect(lines[2].time == "2026-12-03T14:30:01.123456789Z")
    }

    @Test func aHugeLineIsCutAndSaysSo() {
        var splitter = LogFrameSplitter()
        let long = String(repeating: "x", count: DockerClient.maxLogLine * 2)
        let lines = splitter.feed(ByteBuffer(bytes: Self.frame(1, "2026-12-03T14:30:00Z " + long + "\n")))
        #expect(lines.count == 1)
        #expect(lines[0].text.hasSuffix("…[line cut]"))
        #expect(lines[0].text.utf8.count < DockerClient.maxLogLine + 64)
    }
}
