import Dashboard
import Testing

@Suite("dashboard: row store")
struct RowStoreTests {
    static func row(_ key: String, _ html: String = "x") -> DashboardRow {
        DashboardRow(key: key, list: "l", html: "<tr data-key=\"\(key)\">\(html)</tr>")
    }

    @Test func aResumedStreamGetsExactlyWhatChangedIncludingRemovals() {
        let store = RowStore()
        let first = store.replace([Self.row("env/a/p/"), Self.row("env/b/p/"), Self.row("inst/a/p/1")])
        #expect(first == 1)
        #expect(
            store.replace([Self.row("env/a/p/"), Self.row("env/b/p/"), Self.row("inst/a/p/1")]) == nil,
            "no change"
        )
        let second = store.replace([Self.row("env/a/p/", "changed"), Self.row("env/b/p/")])
        #expect(second == 2)
        let changes = store.changes(after: 1, prefixes: ["env/", "inst/"])
        #expect(changes?.seq == 2)
        #expect(changes?.rows.map(\.key) == ["env/a/p/", "inst/a/p/1"])
        #expect(changes?.rows.first?.row?.html.contains("changed") == true)
        #expect(changes?.rows.last?.row == nil, "the instance's removal")
        #expect(store.changes(after: 1, prefixes: ["env/b/"])?.rows.isEmpty == true, "filtered by prefix")
        #expect(store.changes(after: 0, prefixes: ["env/"])?.rows.count == 2)
        #expect(store.changes(after: 3, prefixes: ["env/"]) == nil, "a position this store never had: reload")
        #expect(store.rows(prefixes: ["env/"]).map(\.key) == ["env/a/p/", "env/b/p/"])
    }

    /// The view stopped: no row is kept (not even as a tombstone), and a stream from before reloads.
    @Test func aClearedStoreHoldsNothingAndSendsEveryEarlierStreamToAReload() {
        let store = RowStore()
        store.replace([Self.row("env/a/p/"), Self.row("inst/a/p/1")])
        let before = store.seq
        store.clear()
        #expect(store.seq > before)
        #expect(store.rows(prefixes: [""]).isEmpty)
        #expect(store.changes(after: before, prefixes: ["env/"]) == nil)
        #expect(store.changes(after: store.seq, prefixes: ["env/"])?.rows.isEmpty == true)
        // Rendered again: every row is a change after the clear.
        let next = store.replace([Self.row("env/a/p/")])
        #expect(next == store.seq)
        #expect(store.changes(after: next! - 1, prefixes: ["env/"])?.rows.map(\.key) == ["env/a/p/"])
    }

    @Test func droppedTombstonesSendOldStreamsToAReload() {
        let store = RowStore(maxTombstones: 4)
        for i in 1...10 {
            store.replace([Self.row("env/\(i)/p/")])
        }
        // Nine removals with room for four: the oldest were dropped.
        #expect(store.changes(after: 1, prefixes: ["env/"]) == nil)
        #expect(store.changes(after: store.seq - 1, prefixes: ["env/"])?.rows.count == 2)
    }

    @Test func actionsAreShownOnlyToWhoMayTakeThem() {
        let row = DashboardRow(
            key: "rel/a/p/r1",
            list: "releases",
            html: "<tr>\(DashboardRow.actionsMarker)</tr>",
            team: "storefront",
            action: "<form><input name=\"csrf\" value=\"\(DashboardRow.csrfMarker)\"></form>"
        )
        let member = DashboardViewer(name: "alice", csrf: "tok", admin: false, teams: ["storefront"])
        let other = DashboardViewer(name: "carol", csrf: "tok2", admin: false, teams: ["payments"])
        let admin = DashboardViewer(name: "ada", csrf: "tok3", admin: true, teams: [])
        #expect(row.rendered(for: member) == "<tr><form><input name=\"csrf\" value=\"tok\"></form></tr>")
        #expect(row.rendered(for: other) == "<tr></tr>")
        #expect(row.rendered(for: admin).contains("tok3"))
    }
}
