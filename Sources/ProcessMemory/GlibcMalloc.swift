#if canImport(Glibc)
import Glibc
#endif

/// Controls of glibc's allocator (declared in `malloc.h`, which Swift's Glibc module leaves
/// out), found once by name; elsewhere they do nothing. For processes that free a large part of
/// what they hold at once (a router's table build, a manager's dashboard view that stops).
public enum GlibcMalloc {
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32

    #if canImport(Glibc)
    private static let trimFunction: Trim? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim").map {
        unsafeBitCast($0, to: Trim.self)
    }
    private static let optionFunction: Option? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt").map {
        unsafeBitCast($0, to: Option.self)
    }
    #else
    private static let trimFunction: Trim? = nil
    private static let optionFunction: Option? = nil
    #endif

    /// Whether glibc's `malloc_trim` and `mallopt` were found.
    public static var available: Bool { trimFunction != nil && optionFunction != nil }

    /// `malloc_trim(0)`: hands the heap's free pages back to the system.
    public static func trim() { _ = trimFunction?(0) }

    /// `M_MMAP_THRESHOLD` in `malloc.h`.
    private static let mmapThresholdOption: Int32 = -3

    /// `mallopt(M_MMAP_THRESHOLD, bytes)`: an allocation of `bytes` or more that the heap cannot
    /// serve from memory it holds gets pages of its own, handed back when it is freed, instead
    /// of growing the heap. Set, it also stays: by default glibc raises the threshold to the size
    /// of each large block freed (up to 32 MiB), and the heap's trim threshold to twice that,
    /// after which a table build's large arrays and dictionaries grow the heap and the small
    /// objects allocated meanwhile keep those pages. False when glibc refused the value or is
    /// not there.
    @discardableResult
    public static func setMmapThreshold(_ bytes: Int) -> Bool {
        guard let optionFunction, let value = Int32(exactly: bytes) else { return false }
        return optionFunction(mmapThresholdOption, value) == 1
    }

    /// `M_ARENA_MAX` in `malloc.h`.
    private static let arenaMaxOption: Int32 = -8

    /// `mallopt(M_ARENA_MAX, count)`: threads that start allocating from now on share the
    /// arenas that exist, up to `count`, instead of each contended thread getting one of its own
    /// (up to eight per core). What one thread frees is then found by the others: memory freed
    /// by a build on one thread is not left in its arena while the next build, on another thread,
    /// grows a second one. False when glibc refused the value or is not there.
    @discardableResult
    public static func setArenaLimit(_ count: Int) -> Bool {
        guard let optionFunction, let value = Int32(exactly: count), value > 0 else { return false }
        return optionFunction(arenaMaxOption, value) == 1
    }
}
