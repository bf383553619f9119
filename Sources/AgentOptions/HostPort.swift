public import ArgumentParser

/// Where to listen or connect: `host:port` (the port after the last colon, 1-65535).
public struct HostPort: Sendable, Hashable, ExpressibleByArgument, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), colon != argument.startIndex,
            let port = Int(argument[argument.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        self.init(host: String(argument[..<colon]), port: port)
    }

    public var description: String { "\(host):\(port)" }
    public var defaultValueDescription: String { description }
}
