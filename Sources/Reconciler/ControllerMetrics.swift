import Metrics

/// A controller's counters, created once, with bounded dimensions (never a key).
struct ControllerMetrics: Sendable {
    let success: Counter
    let requeue: Counter
    let errors: Counter
    let duration: Timer
    let depth: Recorder

    init(controller: String) {
        let c = [("controller", controller)]
        success = Counter(label: "atlantis_reconcile_total", dimensions: c + [("result", "success")])
        requeue = Counter(label: "atlantis_reconcile_total", dimensions: c + [("result", "requeue")])
        errors = Counter(label: "atlantis_reconcile_errors_total", dimensions: c)
        duration = Timer(label: "atlantis_reconcile_time_seconds", dimensions: c)
        depth = Recorder(label: "atlantis_workqueue_depth", dimensions: c, aggregate: false)
    }
}

extension Timer {
    func record(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
