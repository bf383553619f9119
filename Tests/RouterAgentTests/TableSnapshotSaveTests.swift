import Foundation
import RouterData
import Testing

@testable import RouterAgent

@Suite("the table saved to disk, a chunk at a time")
struct TableSnapshotSaveTests {
    static func snapshot(pools: Int, rules: Int) -> TableSnapshot {
        TableSnapshot(
            version: "1a2b-\(pools)",
            rules: (0..<rules).map {
                TableSnapshot.Rule(
                    name: "r\($0)",
                    host: "r\($0).example.com",
                    pathPrefix: "/a/\"b\"",
                    headers: $0 % 2 == 0 ? [["x-tenant", "t\($0)"]] : [],
                    priority: $0 % 3,
                    pool: "app/a\($0)/prod",
                    sources: $0 % 5 == 0 ? ["10.0.0.\($0 % 250)"] : nil
                )
            },
            pools: (0..<pools).map {
                TableSnapshot.PoolEntry(
                    name: "app/a\($0)/prod",
                    balancing: "roundRobin",
                    backends: (0..<($0 % 4)).map { "10.1.\($0).9:8080" }
                )
            }
        )
    }

    /// The file is what encoding the whole snapshot at once gives, byte for byte, for none, one,
    /// exactly a chunk and more than a chunk of pools and rules; and it loads back the same.
    @Test(arguments: [0, 1, TableSnapshot.saveChunk, TableSnapshot.saveChunk * 2 + 3])
    func theFileIsTheWholeEncoding(count: Int) throws {
        let snapshot = Self.snapshot(pools: count, rules: count + 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try snapshot.save(to: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let saved = try #require(FileManager.default.contents(atPath: path))
        #expect(saved == (try encoder.encode(snapshot)))
        #expect(TableSnapshot.load(from: path) == snapshot)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    /// What is saved is made from the routing table: a snapshot read from it makes the same table
    /// again (every rule, in every host's order, with its pool's backends and balancing), and it
    /// is the snapshot the table was made of, in the forms the table holds (host and header names
    /// lower-cased, path prefixes normalized, sources sorted).
    @Test func aTableSavedMakesTheSameTableAgain() {
        var snapshot = Self.snapshot(pools: 40, rules: 41)
        snapshot.rules += [
            TableSnapshot.Rule(
                name: "wild",
                host: "*.Shop.Example.COM",
                pathPrefix: "/%7Eu/x",
                headers: [["X-Canary", "On"]],
                priority: 5,
                pool: "app/a1/prod",
                sources: ["10.0.0.9", "10.0.0.2"]
            )
        ]
        snapshot.pools[3].balancing = "leastConnections"
        let table = snapshot.table()
        let saved = TableSnapshot(table)
        func describe(_ table: RoutingTable) -> [String] {
            table.routes.map { route in
                let rule = route.rule
                let conditions = "\(rule.host) \(rule.pathPrefix) \(rule.headers) \(rule.priority)"
                return "\(rule.name) \(conditions) \(rule.pool) \(rule.sources?.sorted() ?? ["*"]) "
                    + (route.pool.map { "\($0.balancing) \($0.backends)" } ?? "none")
            } + table.pools.keys.sorted()
        }
        #expect(describe(saved.table()) == describe(table))
        #expect(saved.version == snapshot.version)
        #expect(saved.pools == snapshot.pools.sorted { $0.name < $1.name })
        let wild = saved.rules.first { $0.name == "wild" }
        #expect(wild?.host == "*.shop.example.com")
        #expect(wild?.pathPrefix == "/~u/x")
        #expect(wild?.headers == [["x-canary", "On"]])
        #expect(wild?.sources == ["10.0.0.2", "10.0.0.9"])
        #expect(
            saved.rules.filter { $0.name != "wild" }
                == snapshot.rules.filter { $0.name != "wild" }.sorted { $0.name < $1.name }
        )
    }

    /// A directory that cannot be written: an error, and the table already there stays.
    @Test func aSaveThatCannotBeWrittenLeavesTheOldFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("table.json").path
        let old = Self.snapshot(pools: 2, rules: 2)
        try old.save(to: path)
        // The temporary file's name taken by a directory: it cannot be created.
        try FileManager.default.createDirectory(atPath: path + ".tmp", withIntermediateDirectories: false)
        #expect(throws: (any Error).self) { try Self.snapshot(pools: 3, rules: 3).save(to: path) }
        #expect(TableSnapshot.load(from: path) == old)
    }
}
