/// Watches part of the world until cancelled and keeps the copy that reconcilers read (a
/// ZooKeeper folder's cache, the Engine's containers). A controller runs the informers it owns
/// for as long as it runs, as controller-runtime's manager starts its caches.
public protocol Informer: Sendable {
    /// Watches until the task is cancelled.
    func run() async
}
