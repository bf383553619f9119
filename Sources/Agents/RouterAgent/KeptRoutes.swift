import Logging

/// What a router keeps of each Route (its cache's `keep`): each version validated and decoded as
/// it is read, and packed (`CompactRoute`), the last valid one when a version does not decode
/// (`PackedVersions`). A build decodes the packed bytes of each Route it reads (a few
/// microseconds): no parsed copy of every Route is held beside the cache (2.2 MB at 10,000 Routes).
enum KeptRoutes {
    static func versions(folder: String, logger: Logger) -> PackedVersions {
        PackedVersions(
            folder: folder,
            logger: logger,
            pack: { CompactRoute.encode(try RouterAgent.route($0)) }
        )
    }

    /// The Route a kept node holds; nil when no version of it decoded.
    static func route(_ data: [UInt8]) -> ParsedRoute? {
        try? CompactRoute.parse(data)
    }
}
