import ArgumentParser
import ProcessMemory
import RouterAgent
import RouterCommandLine

/// The router alone, for the hosts that only route: `atlantis-router [options]` is `atlantis router
/// [options]` in a binary that holds no manager, scheduler, supervisor, builder or dashboard. A
/// router maps only the code it runs, but the kernel maps a binary's pages in 64 KiB windows and
/// larger, so code it never runs but lies between is mapped too: at 50,000 instance reports this
/// binary's router is ~9 MiB smaller (bench/RESULTS.md).
@main
struct AtlantisRouter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atlantis-router",
        abstract: RouterCommand.configuration.abstract,
        discussion: RouterCommand.configuration.discussion
    )

    @OptionGroup var router: RouterCommand

    func run() async throws {
        try await router.run()
    }

    /// Parsed, then before anything else (no other thread allocates yet): every thread the
    /// router starts shares the main thread's allocator arena (`--malloc-arenas`; `RouterService`
    /// sets it again for `atlantis router`, by when a few threads have arenas of their own).
    static func main() async {
        do {
            // No subcommands: a parse that does not throw (help and version do) gives this command.
            let command = try parse()
            if command.router.mallocArenas > 0 { GlibcMalloc.setArenaLimit(command.router.mallocArenas) }
            try await command.run()
        } catch {
            exit(withError: error)
        }
    }
}
