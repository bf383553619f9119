internal import CZooKeeper

/// A znode's metadata as ZooKeeper reports it.
public struct Stat: Hashable, Sendable {
    public var czxid: Int64
    public var mzxid: Int64
    public var ctime: Int64
    public var mtime: Int64
    /// The data version, used for optimistic concurrency (`set`/`delete` with an expected version).
    public var version: Int32
    public var cversion: Int32
    public var aversion: Int32
    /// Non-zero for an ephemeral node: the session that owns it.
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32
    public var pzxid: Int64

    init(_ s: CZooKeeper.Stat) {
        czxid = s.czxid
        mzxid = s.mzxid
        ctime = s.ctime
        mtime = s.mtime
        version = s.version
        cversion = s.cversion
        aversion = s.aversion
        ephemeralOwner = s.ephemeralOwner
        dataLength = s.dataLength
        numChildren = s.numChildren
        pzxid = s.pzxid
    }
}

extension Stat {
    /// Every field 0.
    public static let zero = Stat(CZooKeeper.Stat())

    /// This stat with its data version and `mzxid` alone (every other field 0): what a cache of
    /// many nodes keeps when its readers need no more (it holds such a stat in 12 bytes, not 72).
    public var versionsOnly: Stat {
        var kept = Stat.zero
        kept.mzxid = mzxid
        kept.version = version
        return kept
    }

    /// Whether every field but the data version and `mzxid` is 0 (`versionsOnly`).
    public var isVersionsOnly: Bool {
        czxid == 0 && ctime == 0 && mtime == 0 && cversion == 0 && aversion == 0 && ephemeralOwner == 0
            && dataLength == 0 && numChildren == 0 && pzxid == 0
    }
}
