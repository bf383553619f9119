import NIOCore

/// One value per event loop of a group, each used only on its own loop (so without locks).
struct PerLoop<Value: AnyObject>: @unchecked Sendable {
    private let values: [ObjectIdentifier: Value]

    init(group: any EventLoopGroup, make: (any EventLoop) -> Value) {
        var values: [ObjectIdentifier: Value] = [:]
        for loop in group.makeIterator() { values[ObjectIdentifier(loop)] = make(loop) }
        self.values = values
    }

    func value(for loop: any EventLoop) -> Value? { values[ObjectIdentifier(loop)] }
}
