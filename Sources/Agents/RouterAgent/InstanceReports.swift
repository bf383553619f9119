import Logging

/// What a router keeps of each instance report: its routing fields, packed (`ParsedReport`'s
/// compact bytes), parsed once, as the cache reads the version, the last valid ones when a version
/// does not parse (`PackedVersions`: a report that never parsed is routed by no one). The cache
/// holds them and nothing else does: a table build reads each report from the cache as a view of
/// those bytes (a store of parsed reports beside it was ~7 MiB at 50,000 reports).
enum InstanceReports {
    static func versions(folder: String, logger: Logger) -> PackedVersions {
        PackedVersions(
            folder: folder,
            logger: logger,
            pack: { try RouterAgent.report($0).bytes }
        )
    }

    /// The routing fields of a report as the cache keeps it; nil when no version of it parsed.
    static func report(_ data: [UInt8]) -> ParsedReport? {
        guard ParsedReport.isCompact(data) else { return nil }
        return try? ParsedReport(compact: data)
    }
}
