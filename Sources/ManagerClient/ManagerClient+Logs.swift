import AsyncHTTPClient
import Foundation
public import ManagerAPI
import NIOCore
import NIOHTTP1

extension ManagerClient {
    /// An environment's container output, merged across its instances: each entry as it
    /// arrives (with `follow`, until the caller stops or the manager goes away).
    public func logs(
        app: String,
        environment: String,
        instance: String? = nil,
        since: String? = nil,
        tail: Int? = nil,
        follow: Bool = false,
        onEntry: (LogEntry) async throws -> Void
    ) async throws {
        var query: [String] = []
        if let instance { query.append("instance=\(Self.segment(instance))") }
        if let since { query.append("since=\(Self.segment(since))") }
        if let tail { query.append("tail=\(tail)") }
        if follow { query.append("follow=true") }
        var request = HTTPClientRequest(
            url: baseURL + "/v1/apps/\(Self.segment(app))/environments/\(Self.segment(environment))/logs"
                + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        )
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: follow ? .hours(24) : .seconds(60))
        } catch {
            throw Problem(.unreachable, "the manager at \(baseURL) is unreachable (\(error))")
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Self.problem(status: Int(response.status.code), data: Data(body.readableBytesView))
        }
        var pending: [UInt8] = []
        let decoder = JSONDecoder()
        for try await chunk in response.body {
            for byte in chunk.readableBytesView {
                guard byte == UInt8(ascii: "\n") else {
                    pending.append(byte)
                    continue
                }
                if let entry = try? decoder.decode(LogEntry.self, from: Data(pending)) { try await onEntry(entry) }
                pending.removeAll(keepingCapacity: true)
            }
        }
    }
}
