import Foundation
import Hummingbird
import Manager
import ManagerAPI

extension ManagerRoutes {
    /// `GET /v1/audit?app=&since=&limit=`: `since` is an ISO 8601 time or an age (`90s`, `10m`,
    /// `2h`, `7d`).
    func audit(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let app = try query["app"].map { try name(String($0), of: "app") }
        let since = try query["since"].map { try Self.since(String($0)) }
        var limit = 1000
        if let text = query["limit"] {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw Problem(.badRequest, "limit must be a number from 1 to 1000, not \(text)")
            }
            limit = value
        }
        let records = try await run { () async throws(ManagerError) in
            try await manager.audit(app: app, since: since, limit: limit)
        }
        return try Reply.json(AuditList(items: records.map { AuditList.Entry(id: $0.id, record: $0.record) }))
    }

    static func since(_ text: String, now: Date = Date()) throws -> Date {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count >= 0 {
            return now.addingTimeInterval(-count * unit)
        }
        throw Problem(.badRequest, "since must be an ISO 8601 time or an age like 10m, 2h, 7d; not \(text)")
    }
}
