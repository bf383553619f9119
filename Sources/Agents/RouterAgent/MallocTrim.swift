#if canImport(Glibc)
import Glibc
#endif

/// glibc's `malloc_trim` (declared in `malloc.h`, which Swift's Glibc module leaves out), found
/// once by name: hands the heap's free pages back to the system. Does nothing elsewhere.
enum MallocTrim {
    private typealias Function = @convention(c) (Int) -> Int32

    #if canImport(Glibc)
    private static let function: Function? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim").map {
        unsafeBitCast($0, to: Function.self)
    }
    #else
    private static let function: Function? = nil
    #endif

    /// Whether glibc's `malloc_trim` was found.
    static var available: Bool { function != nil }

    static func run() { _ = function?(0) }
}
