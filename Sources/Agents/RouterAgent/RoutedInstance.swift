public import ZKModel

/// What a routing table is built from of an instance report: an `InstanceStatus`, or the
/// router's own parsed form of one (`ParsedReport`, built from it without making the whole
/// status again for each of 50,000 reports at every full build).
public protocol RoutedInstance {
    var app: String { get }
    var environment: String { get }
    var host: String { get }
    var port: Int { get }
    /// Whether routers send it traffic (if current).
    var serving: Bool { get }
    /// The container's own address on its host's network.
    var containerAddress: String? { get }
    /// The app pools it may call through internal routers.
    var reaches: [String]? { get }
}

extension InstanceStatus: RoutedInstance {}

extension ParsedReport: RoutedInstance {}
