public import ArgumentParser

/// A TCP port, 1-65535.
public struct Port: Sendable, Hashable, ExpressibleByArgument, CustomStringConvertible {
    public let value: Int

    public init(_ value: Int) {
        self.value = value
    }

    public init?(argument: String) {
        guard let value = Int(argument), (1...65535).contains(value) else { return nil }
        self.value = value
    }

    public var description: String { "\(value)" }
    public var defaultValueDescription: String { description }
}
