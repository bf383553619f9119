import Docker
import Foundation
import Spawn

/// The tar of an app's source as `atlantis build --source DIR` uploads it: the tracked files of
/// a git work tree (as they are on disk), or every file of a plain folder (without `.git`).
/// Links are kept as links (the manager refuses one that leaves the tree); modes keep their
/// executable bit; times are not kept, so the same files make the same archive (and digest).
enum SourcePacker {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static func pack(_ directory: String) throws -> (tar: [UInt8], files: Int, fromGit: Bool) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw Refused(description: "--source \(directory): no such folder")
        }
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        var paths: [String]
        var fromGit = false
        let listed = Spawn.run3(["git", "-C", root, "ls-files", "-z", "--cached"])
        // A folder inside a work tree where nothing is tracked (an ignored folder) is a plain folder.
        if listed.status == 0, !listed.stdout.isEmpty {
            paths = listed.stdout.split(separator: "\0").map(String.init)
            fromGit = true
        } else {
            paths = []
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let path = enumerator?.nextObject() as? String {
                if path == ".git" || path.hasPrefix(".git/") {
                    if path == ".git" { enumerator?.skipDescendants() }
                    continue
                }
                paths.append(path)
            }
        }
        var archive = TarArchive()
        var files = 0
        for path in paths.sorted() {
            let full = root + "/" + path
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?:
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: full)
                try archive.addSymlink(path, target: target)
            case .typeRegular?:
                let mode = (attributes[.posixPermissions] as? Int) ?? 0o644
                let contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: full)))
                try archive.add(path, contents: contents, mode: mode & 0o111 != 0 ? 0o755 : 0o644)
            default:
                continue  // folders are implied; sockets and devices are not sources
            }
            files += 1
        }
        guard files > 0 else { throw Refused(description: "--source \(directory): no files to build") }
        return (archive.archive, files, fromGit)
    }
}
