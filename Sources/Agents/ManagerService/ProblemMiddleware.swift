import Foundation
import Hummingbird
import Logging
import Manager
import ManagerAPI
import Metrics
import Synchronization

/// Outermost: every failure becomes problem details, and every request gets one access-log
/// line (method, path, status, duration, caller) and a timing.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = ManagerRequestContext
    let logger: Logger

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Reply.problem(Self.problem(for: error, request: request))
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info(
            "manager.request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "duration_ms": "\(String(format: "%.2f", milliseconds))", "caller": "\(context.caller)",
            ]
        )
        Self.timer(response.status.code).recordNanoseconds(Int64(milliseconds * 1e6))
        return response
    }

    /// One timer per status code, made once (a lookup in the metrics factory per request costs).
    private static let timers = Mutex<[Int: Timer]>([:])

    static func timer(_ status: Int) -> Timer {
        timers.withLock { timers in
            if let timer = timers[status] { return timer }
            let timer = Timer(label: "atlantis_manager_request_seconds", dimensions: [("status", "\(status)")])
            timers[status] = timer
            return timer
        }
    }

    static func problem(for error: any Error, request: Request) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as ManagerError:
            return Problem(error)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return Problem(.notFound, "no such path: \(request.method) \(request.uri.path)")
            case .methodNotAllowed:
                return Problem(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: return Problem(.tooLarge, error.body ?? "the body is too large")
            default: return Problem(.badRequest, error.body ?? "\(error.status)")
            }
        default:
            return Problem(.internal, "\(error)")
        }
    }
}
