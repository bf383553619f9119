import Docker
import Foundation

/// Holds a container's workload until the supervisor has made its network safe: the container's
/// command runs behind a small wait (a static busybox from the host, bind-mounted read-only with
/// a gate folder) that execs the image's own entrypoint only once the supervisor has applied the
/// egress rules, attached the network, and opened the gate. So a workload that calls its declared
/// dependencies the moment it starts finds them reachable, and never finds anything else.
struct StartGate: Sendable {
    struct Unusable: Error, CustomStringConvertible {
        let description: String
    }

    /// Host folder with one subfolder per container name (the gate: `open` appears in it).
    let directory: String
    /// A statically linked busybox on the host (Debian's busybox-static: `/bin/busybox`).
    let shell: String

    static let mountPoint = "/.atlantis"
    static let script =
        "while [ ! -e \(mountPoint)/gate/open ]; do \(mountPoint)/busybox usleep 5000; done; exec \"$@\""

    func folder(_ name: String) -> String { "\(directory)/\(name)" }

    /// The command to run instead of `image`: the wait, then the image's own command line.
    func wrap(_ image: ImageCommand) throws(Unusable) -> (entrypoint: [String], cmd: [String]) {
        guard !image.arguments.isEmpty else {
            throw Unusable(description: "the image has neither Entrypoint nor Cmd: nothing to start")
        }
        return (["\(Self.mountPoint)/busybox", "sh", "-c", Self.script, "atlantis-gate"], image.arguments)
    }

    func binds(_ name: String) -> [String] {
        ["\(shell):\(Self.mountPoint)/busybox:ro", "\(folder(name)):\(Self.mountPoint)/gate:ro"]
    }

    /// Before a container of `name` is created: the gate is shut.
    func shut(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: folder(name), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: "\(folder(name))/open")
    }

    /// The workload may start.
    func open(_ name: String) throws {
        let path = "\(folder(name))/open"
        if FileManager.default.fileExists(atPath: path) { return }
        try FileManager.default.createDirectory(atPath: folder(name), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw Unusable(description: "cannot create \(path)")
        }
    }

    func remove(_ name: String) {
        try? FileManager.default.removeItem(atPath: folder(name))
    }

    /// A gate when `shell` is a usable static busybox, nil (with the reason) otherwise.
    static func make(directory: String, shell: String) -> (StartGate?, String?) {
        guard FileManager.default.isExecutableFile(atPath: shell) else {
            return (nil, "\(shell) is not an executable (install busybox-static)")
        }
        return (StartGate(directory: directory, shell: shell), nil)
    }
}
