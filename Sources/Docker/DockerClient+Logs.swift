import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One line a container wrote, as the Engine keeps it.
public struct ContainerLogLine: Sendable, Hashable {
    public enum Stream: String, Sendable, Hashable {
        case stdout, stderr
    }

    /// RFC 3339 with nanoseconds, as the Engine stamps it (sorts as text within one zone: UTC).
    public var time: String
    public var stream: Stream
    public var text: String

    public init(time: String, stream: Stream, text: String) {
        self.time = time
        self.stream = stream
        self.text = text
    }

    /// `…:05.12Z` → `…:05.120000000Z`: the Engine trims trailing zeros, which would break
    /// ordering the stamps as text.
    public static func normalized(_ time: String) -> String {
        guard time.hasSuffix("Z") else { return time }
        let body = time.dropLast()
        guard let dot = body.lastIndex(of: ".") else { return body + ".000000000Z" }
        let fraction = body[body.index(after: dot)...]
        guard fraction.count < 9 else { return String(body[..<dot]) + "." + fraction.prefix(9) + "Z" }
        return body + String(repeating: "0", count: 9 - fraction.count) + "Z"
    }
}

extension DockerClient {
    /// The longest line kept whole; longer ones are cut (the cut is said).
    public static let maxLogLine = 16 * 1024

    /// A container's output (`GET /containers/{id}/logs`, stdout and stderr, stamped): lines from
    /// `since` (unix seconds) on, the last `tail` of them; with `follow`, new lines until the
    /// container stops or the sequence is dropped. A container started without a TTY (as every
    /// container the supervisor makes) answers in the Engine's multiplexed framing: an 8-byte
    /// header (stream, 0, 0, 0, length big-endian) before each chunk.
    public func logs(
        container id: String,
        since: Double? = nil,
        tail: Int? = nil,
        follow: Bool = false
    ) -> AsyncThrowingStream<ContainerLogLine, any Error> {
        var query = [("stdout", "1"), ("stderr", "1"), ("timestamps", "1")]
        if let since { query.append(("since", String(format: "%.9f", since))) }
        if let tail { query.append(("tail", "\(max(0, tail))")) }
        if follow { query.append(("follow", "1")) }
        let client = self
        let parameters = query
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let request = try client.request(.GET, "/containers/\(id)/logs", query: parameters)
                    let response = try await client.http.execute(
                        request,
                        deadline: follow ? .distantFuture : .now() + client.requestTimeout
                    )
                    guard response.status.code == 200 else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw Self.error(status: Int(response.status.code), body: body, operation: "logs of \(id)")
                    }
                    var splitter = LogFrameSplitter()
                    for try await chunk in response.body {
                        for line in splitter.feed(chunk) { continuation.yield(line) }
                    }
                    for line in splitter.finish() { continuation.yield(line) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Cuts the Engine's multiplexed log stream into stamped lines.
struct LogFrameSplitter {
    private var pending = ByteBuffer()
    /// Per stream, the start of a line whose end has not come yet.
    private var partial: [ContainerLogLine.Stream: [UInt8]] = [:]

    mutating func feed(_ chunk: ByteBuffer) -> [ContainerLogLine] {
        var chunk = chunk
        pending.writeBuffer(&chunk)
        var out: [ContainerLogLine] = []
        while pending.readableBytes >= 8 {
            let header = pending.getBytes(at: pending.readerIndex, length: 8)!
            let length = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
            guard pending.readableBytes >= 8 + length else { break }
            pending.moveReaderIndex(forwardBy: 8)
            let payload = pending.readBytes(length: length) ?? []
            let stream: ContainerLogLine.Stream = header[0] == 2 ? .stderr : .stdout
            var bytes = partial.removeValue(forKey: stream) ?? []
            for byte in payload {
                if byte == UInt8(ascii: "\n") {
                    out.append(Self.line(bytes, stream: stream))
                    bytes.removeAll(keepingCapacity: true)
                } else if bytes.count < DockerClient.maxLogLine + 64 {
                    bytes.append(byte)
                }
            }
            if !bytes.isEmpty { partial[stream] = bytes }
        }
        pending.discardReadBytes()
        return out
    }

    mutating func finish() -> [ContainerLogLine] {
        defer { partial = [:] }
        return partial.sorted { $0.key.rawValue < $1.key.rawValue }.map { Self.line($0.value, stream: $0.key) }
    }

    /// `2026-12-03T14:30:00.123456789Z text` → its stamp and text.
    static func line(_ bytes: [UInt8], stream: ContainerLogLine.Stream) -> ContainerLogLine {
        var text = String(decoding: bytes, as: UTF8.self)
        var time = ""
        if let space = text.firstIndex(of: " "), text[..<space].hasSuffix("Z") {
            time = ContainerLogLine.normalized(String(text[..<space]))
            text = String(text[text.index(after: space)...])
        }
        if text.hasSuffix("\r") { text.removeLast() }
        if text.utf8.count > DockerClient.maxLogLine {
            text = String(decoding: text.utf8.prefix(DockerClient.maxLogLine), as: UTF8.self) + " …[line cut]"
        }
        return ContainerLogLine(time: time, stream: stream, text: text)
    }
}
