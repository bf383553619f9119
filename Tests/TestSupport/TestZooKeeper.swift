#if canImport(Glibc)
import Glibc
#endif

/// The ZooKeeper the tests use: `$ATLANTIS_TEST_ZK` (scripts/test.sh starts one), else 127.0.0.1:2181.
public enum TestZooKeeper {
    public static var hosts: String {
        getenv("ATLANTIS_TEST_ZK").map { String(cString: $0) } ?? "127.0.0.1:2181"
    }
}
