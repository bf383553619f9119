import Docker
import Foundation
import TestSupport
import Testing

/// What an uploaded source may hold: `TarReader` refuses whatever could leave the tree a build
/// unpacks it into, and reads back what `TarArchive` (and `tar`, `git archive`) write.
@Suite("Builder: reading a source archive")
struct TarReaderTests {
    static func header(_ name: String, type: Character = "0", size: Int = 0, link: String = "") -> [UInt8] {
        HostileTar.header(name, type: type, size: size, link: link)
    }

    static func archive(_ entries: [[UInt8]]) -> [UInt8] { HostileTar.archive(entries) }

    @Test func readsBackWhatTheArchiveWrote() throws {
        var tar = TarArchive()
        try tar.add("atlantis.yaml", contents: Array("template: static\n".utf8))
        try tar.add("bin/run", contents: Array("#!/bin/sh\n".utf8), mode: 0o755)
        try tar.addSymlink("www/index.html", target: "../index.html")
        try tar.add(String(repeating: "d/", count: 60) + "deep.txt", contents: [1, 2, 3])
        let entries = try TarReader().read(tar.archive)
        #expect(
            entries.map(\.path) == [
                "atlantis.yaml", "bin/run", "www/index.html", String(repeating: "d/", count: 60) + "deep.txt",
            ]
        )
        #expect(entries[0].contents == Array("template: static\n".utf8))
        #expect(entries[1].mode == 0o755)
        #expect(entries[2].linkTarget == "../index.html")
        #expect(entries[3].contents == [1, 2, 3])
    }

    @Test func refusesWhatLeavesTheTree() {
        let cases: [(String, [UInt8], String)] = [
            ("absolute", Self.archive([Self.header("/etc/passwd")]), "absolute path"),
            ("dot-dot", Self.archive([Self.header("a/../../x")]), "leaves the source tree"),
            (
                "link out", Self.archive([Self.header("x", type: "2", link: "../../etc/passwd")]),
                "leaves the source tree"
            ),
            (
                "absolute link", Self.archive([Self.header("x", type: "2", link: "/etc/passwd")]),
                "leaves the source tree"
            ),
            ("hard link", Self.archive([Self.header("x", type: "1", link: "y")]), "hard links"),
            ("device", Self.archive([Self.header("x", type: "3")]), "device"),
            ("twice", Self.archive([Self.header("x"), Self.header("x")]), "twice"),
        ]
        for (name, bytes, expected) in cases {
            do {
                _ = try TarReader().read(bytes)
                Issue.record("\(name): read without complaint")
            } catch {
                #expect(error.description.contains(expected), "\(name): \(error)")
            }
        }
    }

    @Test func refusesAnArchiveOverTheLimit() throws {
        var tar = TarArchive()
        try tar.add("big", contents: [UInt8](repeating: 7, count: 3000))
        #expect(throws: TarReader.Refused.self) { try TarReader().read(tar.archive, limits: .init(maxBytes: 2048)) }
        #expect(throws: TarReader.Refused.self) { try TarReader().read(Array(tar.archive.prefix(700))) }
        #expect(throws: TarReader.Refused.self) { try TarReader().read([UInt8](repeating: 0x41, count: 1024)) }
    }

    @Test func aLinkInsideTheTreeIsResolvedWithinIt() {
        #expect(TarReader.resolve(link: "../b", at: "a/x") == "b")
        #expect(TarReader.resolve(link: "../../b", at: "a/x") == nil)
        #expect(TarReader.resolve(link: "./c/d", at: "x") == "c/d")
    }

    @Test func readsWhatGitArchiveWrites() throws {
        let folder = NSTemporaryDirectory() + "tar-git-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try "hello\n".write(toFile: folder + "/sub/a.txt", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = """
            cd \(folder) && git init -q && git add . && git -c user.email=t@t -c user.name=t commit -qm one && \
            git archive --format=tar -o out.tar HEAD
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let entries = try TarReader().read(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/out.tar"))))
        #expect(entries.map(\.path) == ["sub/a.txt"])
        #expect(entries.first?.contents == Array("hello\n".utf8))
    }
}
