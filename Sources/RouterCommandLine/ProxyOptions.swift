import ArgumentParser
import NIOCore
import RouterProxy

/// The proxy's threads, limits and timeouts, as `atlantis router` options. Defaults come from
/// `ProxyConfiguration`, so the two cannot drift apart.
struct ProxyOptions: ParsableArguments {
    private static let defaults = ProxyConfiguration()

    @Option(
        help:
            "Event-loop threads serving HTTP (default: four per core; fewer saves CPU on cores the router has to itself)."
    )
    var threads: Int?

    /// Four loops per core by default. A router shares its cores with other busy processes (the
    /// apps on its host; wrk and the backend in bench/router.sh): a loop thread that is seldom
    /// idle is seldom re-placed, and while it waits for a CPU its connections wait. With more
    /// loops each holds fewer connections and sleeps more often. Measured on 2 cores
    /// (docs/architecture.md): against two per core, p99 at 50 connections 1.70–1.76 ms instead
    /// of 1.94–1.99 (nginx 1.75–2.03), at 10 connections 0.55 ms instead of 0.67, for 7 % more
    /// CPU per request and about 5 % less throughput.
    var threadCount: Int { threads ?? 4 * System.coreCount }

    @Option(
        help: "Scheduling of the HTTP threads: batch (SCHED_BATCH: fewer wakeups under load) or normal.",
        transform: optionChoice("--scheduling", "batch or normal")
    )
    var scheduling: LoopScheduling = .batch

    /// Off by default: on 2 cores with wrk and the backend beside it, pinned loops took 3–5 % less
    /// CPU per request and gave 5–8 % more throughput, but a higher p99 (1.09× and 1.19× unpinned
    /// in two runs): a pinned loop waits for its core when another one is idle (bench/RESULTS.md,
    /// stop 49).
    @Flag(
        inversion: .prefixedNo,
        help:
            "Pin each HTTP thread to one of the CPUs the router may use, in turn: less CPU per request, a longer tail when the cores are shared."
    )
    var pinLoops = false

    /// epoll by default: on 2 cores beside wrk and the backend it took 0.94–0.97× the CPU per
    /// request of the NIO engine (median of the rounds, two runs) with no higher p99, and
    /// 0.89–0.92× nginx's with 0.71× its p99 (bench/RESULTS.md, stop 50).
    @Option(
        help:
            "What runs the HTTP sockets: epoll (the router's own epoll loops, the default) or nio (NIO's event loops and channels).",
        transform: optionChoice("--engine", "nio or epoll")
    )
    var engine = ProxyEngine.epoll

    @Option(help: "Largest request head (request line and header fields) in bytes; larger ones get 431.")
    var maxHeaderBytes: Int = defaults.maxHeadBytes

    @Option(help: "Largest request body in bytes; larger ones get 413.")
    var maxBodyBytes: Int = defaults.maxBodyBytes

    @Option(help: "Seconds to wait for a backend to accept a connection (then 504, or another backend).")
    var connectTimeout: Double = defaults.connectTimeout.seconds

    @Option(help: "Seconds to wait for a backend's response head (then 504).")
    var responseTimeout: Double = defaults.responseTimeout.seconds

    @Option(help: "Seconds a client connection may stay idle between requests.")
    var idleTimeout: Double = defaults.idleTimeout.seconds

    @Option(help: "Idle keep-alive connections kept per backend and event loop.")
    var maxIdlePerBackend: Int = defaults.maxIdlePerBackend

    func validate() throws {
        guard threads.map({ $0 >= 1 }) ?? true else { throw ValidationError("--threads must be at least 1") }
        guard maxHeaderBytes >= 1024 else { throw ValidationError("--max-header-bytes must be at least 1024") }
        guard maxBodyBytes >= 0 else { throw ValidationError("--max-body-bytes must not be negative") }
        guard maxIdlePerBackend >= 0 else { throw ValidationError("--max-idle-per-backend must not be negative") }
        for (name, seconds) in [
            ("--connect-timeout", connectTimeout), ("--response-timeout", responseTimeout),
            ("--idle-timeout", idleTimeout),
        ]
        where !(seconds > 0) {
            throw ValidationError("\(name) must be a positive number of seconds, not \(seconds)")
        }
    }

    var configuration: ProxyConfiguration {
        var configuration = ProxyConfiguration()
        configuration.maxHeadBytes = maxHeaderBytes
        configuration.maxBodyBytes = maxBodyBytes
        configuration.maxIdlePerBackend = maxIdlePerBackend
        configuration.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        configuration.responseTimeout = .milliseconds(Int64(responseTimeout * 1000))
        configuration.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        return configuration
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
