import Metrics

/// The proxy's counters, created once; dimensions are bounded (status class, pool name — one per
/// route target — never a host, path or backend address).
struct ProxyMetrics: Sendable {
    let requests: Counter
    let responses2xx: Counter
    let responses3xx: Counter
    let responses4xx: Counter
    let responses5xx: Counter
    let latency: Timer

    init() {
        requests = Counter(label: "atlantis_router_requests_total")
        responses2xx = Counter(label: "atlantis_router_responses_total", dimensions: [("class", "2xx")])
        responses3xx = Counter(label: "atlantis_router_responses_total", dimensions: [("class", "3xx")])
        responses4xx = Counter(label: "atlantis_router_responses_total", dimensions: [("class", "4xx")])
        responses5xx = Counter(label: "atlantis_router_responses_total", dimensions: [("class", "5xx")])
        latency = Timer(label: "atlantis_router_request_duration_seconds")
    }

    /// A refused or failed connection, a backend that closed early or timed out, per pool. Not on
    /// the hot path: the counter is looked up (and cached by the metrics backend) per error.
    func upstreamError(pool: String, _ kind: String) {
        Counter(label: "atlantis_router_upstream_errors_total", dimensions: [("pool", pool), ("kind", kind)])
            .increment()
    }
}
