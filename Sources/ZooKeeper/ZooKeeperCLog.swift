internal import CZooKeeper
import Logging
import Synchronization

/// The C library logs through one process-wide callback with no context: route it to swift-log.
enum ZooKeeperCLog {
    static let logger = Logger(label: "atlantis.zookeeper.c")
    private static let configured = Mutex(false)

    static let callback: log_callback_fn = { message in
        guard let message else { return }
        ZooKeeperCLog.logger.debug("\(String(cString: message))")
    }

    static func setUp() {
        let first = configured.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN) }
    }
}
