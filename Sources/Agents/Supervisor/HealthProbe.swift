import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One HTTP GET of an instance's health check path: healthy on 2xx or 3xx within the timeout.
struct HealthProbe: Sendable {
    let http: HTTPClient

    /// nil when healthy, else why not.
    func check(address: String, port: Int, path: String, timeout: Duration) async -> String? {
        var request = HTTPClientRequest(url: "http://\(address):\(port)\(path)")
        // No pooled connection: a replaced container on the same port must not see a stale one.
        request.headers.add(name: "Connection", value: "close")
        request.headers.add(name: "User-Agent", value: "atlantis-supervisor")
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            _ = try await response.body.collect(upTo: 1 << 20)
            let code = Int(response.status.code)
            return (200..<400).contains(code) ? nil : "health check \(path) answered \(code)"
        } catch {
            return "health check \(path) failed: \(error)"
        }
    }
}
