public import Logging
import Synchronization

private let bootstrapped = Mutex(false)

/// The one way a command sets up logging: stderr, at one level.
public enum LogOutput {
    /// Once per process (a second bootstrap would trap): later calls keep the first level.
    public static func bootstrap(level: Logger.Level) {
        guard
            bootstrapped.withLock({ done in
                defer { done = true }
                return !done
            })
        else { return }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
