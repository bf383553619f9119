#if canImport(Glibc)
import Glibc
#endif

/// A detached POSIX thread for one blocking call (waitpid), so that it never holds a thread of
/// Swift's cooperative pool.
final class BlockingThread: @unchecked Sendable {
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread,
            nil,
            { raw in
                let box = Unmanaged<BlockingThread>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            },
            context
        )
        if rc == 0 {
            pthread_detach(thread)
        } else {
            // No thread: run it here rather than lose it.
            Unmanaged<BlockingThread>.fromOpaque(context).release()
            body()
        }
    }
}
