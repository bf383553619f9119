import CoreMetrics
import NIOCore

/// Requests, responses and latencies of one event loop, passed to the shared metrics every
/// `interval` instead of per request: the shared counters are atomics, and the histogram a lock,
/// that every loop would contend on. Scrapes may lag by up to `interval`.
final class LoopCounts: @unchecked Sendable {  // touched only on its own event loop
    static let interval = TimeAmount.milliseconds(500)

    private let metrics: ProxyMetrics
    private var requests: Int64 = 0
    private var byClass: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
    private var latencies: [Int64] = []
    init(metrics: ProxyMetrics) {
        self.metrics = metrics
    }

    /// Flushes every `interval` on `eventLoop` until the returned task is cancelled. The task holds
    /// the counts strongly (a weak reference would put every retain of them on the slow path).
    func start(on eventLoop: any EventLoop) -> RepeatedTask {
        eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { _ in self.flush() }
    }

    @inline(__always) func request() { requests += 1 }

    @inline(__always) func response(_ status: Int) {
        switch status {
        case 200..<300: byClass.0 += 1
        case 300..<400: byClass.1 += 1
        case 400..<500: byClass.2 += 1
        default: byClass.3 += 1
        }
    }

    @inline(__always) func latency(nanoseconds: Int64) {
        latencies.append(nanoseconds)
        if latencies.count >= 65536 { flush() }
    }

    func flush() {
        if !latencies.isEmpty {
            // Thousands of histogram records (a lock each) would hold this loop's connections for
            // a millisecond or more: they are made off the loop.
            let batch = latencies
            let timer = metrics.latency
            latencies.removeAll(keepingCapacity: true)
            Task.detached(priority: .background) {
                for value in batch { timer.recordNanoseconds(value) }
            }
        }
        if requests > 0 { metrics.requests.increment(by: requests) }
        if byClass.0 > 0 { metrics.responses2xx.increment(by: byClass.0) }
        if byClass.1 > 0 { metrics.responses3xx.increment(by: byClass.1) }
        if byClass.2 > 0 { metrics.responses4xx.increment(by: byClass.2) }
        if byClass.3 > 0 { metrics.responses5xx.increment(by: byClass.3) }
        requests = 0
        byClass = (0, 0, 0, 0)
    }
}
