public import Logging
public import ServiceLifecycle
import UnixSignals

extension ServiceGroup {
    /// The one group a long-running command runs: SIGTERM and SIGINT shut it down gracefully, and a
    /// shutdown that takes longer than `shutdownLimit` cancels what is left.
    public static func process(
        _ services: [any Service],
        shutdownLimit: Duration = .seconds(60),
        logger: Logger
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = shutdownLimit
        return ServiceGroup(configuration: configuration)
    }
}
