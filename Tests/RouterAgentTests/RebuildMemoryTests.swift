import ProcessMemory
import RouterData
import Testing
import ZKModel

@testable import RouterAgent

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RebuildMemoryTests {
    func snapshot(_ pools: [String: [String]]) -> RoutingTable {
        TableSnapshot(
            version: "v",
            rules: [],
            pools: pools.map { TableSnapshot.PoolEntry(name: $0.key, balancing: "roundRobin", backends: $0.value) }
        )
        .table()
    }

    @Test func eachAppPoolHasTheDigestOfItsBackendsAndOnlyAppPoolsAreReported() {
        let memory = RebuildMemory()
        let first = memory.digests(snapshot(["app/a/prod": ["h:1", "h:2"], "service/s": ["x:1"]]))
        #expect(first == ["app/a/prod": RouterReport.digestValue(backends: ["h:1", "h:2"])])
        let second = memory.digests(snapshot(["app/a/prod": ["h:1"], "app/b/prod": []]))
        #expect(second["app/a/prod"] == RouterReport.digestValue(backends: ["h:1"]))
        #expect(second["app/b/prod"] == RouterReport.digestValue(backends: []))
        #expect(second.count == 2)
        // A pool of another table with the same backends has the same digest.
        #expect(memory.digests(snapshot(["app/a/prod": ["h:1"]])) == ["app/a/prod": second["app/a/prod"]!])
    }

    /// A pool's digest is made from its backends' hosts and ports without their `host:port`
    /// strings: the same number as the digest of those strings, whether the backends come in
    /// their text order (then digested as they are) or not (then sorted first), and the bytes
    /// and order of `AddressText` are those of the text.
    @Test func aDigestMadeFromHostsAndPortsIsTheDigestOfTheirText() {
        var generator = SystemRandomNumberGenerator()
        let hosts = ["10.0.0.1", "10.0.0.10", "10.0.0.2", "::1", "app.internal", ""]
        let ports = [0, 9, 10, 80, 999, 1000, 31000, 65535]
        for _ in 0..<200 {
            var backends = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                Backend(host: hosts.randomElement(using: &generator)!, port: ports.randomElement(using: &generator)!)
            }
            let texts = backends.map { "\($0.host):\($0.port)" }
            #expect(RebuildMemory.digest(backends) == RouterReport.digestValue(backends: texts), "\(texts)")
            backends.sort { "\($0.host):\($0.port)" < "\($1.host):\($1.port)" }
            #expect(RebuildMemory.digest(backends) == RouterReport.digestValue(backends: texts), "\(texts) sorted")
            for (a, b) in zip(backends, backends.shuffled(using: &generator)) {
                let (x, y) = (AddressText(host: a.host, port: a.port), AddressText(host: b.host, port: b.port))
                #expect(Array(x) == Array("\(a.host):\(a.port)".utf8))
                #expect(x.precedes(y) == ("\(a.host):\(a.port)" < "\(b.host):\(b.port)"))
            }
        }
    }

    /// The router keeps digests as numbers; what it writes is the text managers compare with.
    @Test func aDigestKeptAsANumberIsWrittenAsTheTextManagersExpect() {
        #expect(RouterReport.digest(backends: []) == "cbf29ce484222325", "FNV-1a's offset basis: nothing hashed")
        let backends = ["10.0.0.2:31000", "10.0.0.1:31001"]
        #expect(
            RouterReport.digestText(RouterReport.digestValue(backends: backends))
                == RouterReport.digest(backends: backends)
        )
        #expect(RouterReport.digest(backends: backends) == RouterReport.digest(backends: backends.reversed()))
        #expect(RouterReport.digest(backends: backends) != RouterReport.digest(backends: ["10.0.0.2:31000"]))
    }

    @Test func onlyTheLastTableWaitingIsSaved() {
        let memory = RebuildMemory()
        #expect(memory.takePending() == nil)
        memory.toSave(snapshot(["app/a/prod": ["h:1"]]))
        memory.toSave(snapshot(["app/a/prod": ["h:2"]]))
        #expect(memory.takePending()?.pools["app/a/prod"]?.backends == [Backend(host: "h", port: 2)])
        #expect(memory.takePending() == nil)
    }

    @Test func anUnchangedReportIsNotWrittenAgainBySameSessionForThirtySeconds() {
        let memory = RebuildMemory()
        let t0 = ContinuousClock.now
        let body = Array("{}".utf8)
        #expect(memory.reportChanged(body, session: 1, now: t0))
        memory.reported(body, session: 1, at: t0)
        #expect(!memory.reportChanged(body, session: 1, now: t0 + .seconds(5)))
        #expect(memory.reportChanged(Array("{ }".utf8), session: 1, now: t0 + .seconds(5)))
        #expect(memory.reportChanged(body, session: 2, now: t0 + .seconds(5)))
        #expect(memory.reportChanged(body, session: 1, now: t0 + .seconds(30)))
    }

    @Test func aLargeReportIsWrittenAtMostEveryHundredMilliseconds() {
        let memory = RebuildMemory()
        let t0 = ContinuousClock.now
        let small = Array("{}".utf8)
        let large = [UInt8](repeating: 0x20, count: 65 * 1024)
        #expect(memory.reportThrottle(large, now: t0) == nil)
        memory.reported(large, session: 1, at: t0)
        #expect(memory.reportThrottle(large, now: t0 + .milliseconds(30)) == .milliseconds(70))
        #expect(memory.reportThrottle(small, now: t0 + .milliseconds(30)) == nil)
        #expect(memory.reportThrottle(large, now: t0 + .milliseconds(100)) == nil)
    }

    /// Only a full build of many reports asks the saver to hand freed memory back, once per ask.
    @Test func aLargeFullBuildAsksForOneTrim() {
        let memory = RebuildMemory()
        memory.built(reports: RebuildMemory.trimAtReports - 1)
        #expect(!memory.takeTrim())
        memory.built(reports: RebuildMemory.trimAtReports)
        memory.built(reports: 50_000)
        #expect(memory.takeTrim())
        #expect(!memory.takeTrim())
        #if os(Linux)
        #expect(GlibcMalloc.available, "glibc's malloc_trim and mallopt are found by name")
        #endif
        GlibcMalloc.trim()
    }

    /// The router's mmap threshold reaches glibc. A block at or above the threshold that the
    /// heap cannot serve from what it holds gets pages of its own (its chunk starts a page: the
    /// pointer is 16 bytes past a page boundary); with the threshold above it, the heap grows
    /// instead. The heap's free top is handed back first (`trim`), and the blocks are large
    /// (24 MiB: no free piece of the heap is that large while other tests run beside this one),
    /// so that what decides is the threshold. The router's threshold is tried first: the blocks
    /// the heap held for the other try, freed, would serve it (as they did in a parallel run).
    @Test func blocksAboveTheMmapThresholdGetPagesOfTheirOwn() {
        #if os(Linux)
        func mapped(threshold: Int) -> [Bool] {
            GlibcMalloc.trim()
            #expect(GlibcMalloc.setMmapThreshold(threshold))
            let blocks = (0..<3).map { _ in malloc(24 << 20) }
            defer { blocks.forEach { free($0) } }
            return blocks.map { block in block.map { (UInt(bitPattern: $0) - 16) % 4096 == 0 } ?? false }
        }
        // Were glibc's own threshold in charge, freeing a mapped block of 30 MiB would raise it
        // above the blocks (then held by the heap).
        free(malloc(30 << 20))
        #expect(mapped(threshold: RouterService.mmapThreshold) == [true, true, true])
        // Above them (glibc's largest): the heap holds them.
        #expect(mapped(threshold: 32 << 20) != [true, true, true])
        GlibcMalloc.setMmapThreshold(RouterService.mmapThreshold)
        GlibcMalloc.trim()
        #endif
    }
}
