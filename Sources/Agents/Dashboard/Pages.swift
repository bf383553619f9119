import Foundation
public import ZKModel

/// The dashboard's pages, complete without JavaScript; `app.js` then keeps them live.
public enum Pages {
    public struct Frame: Sendable {
        public var title: String
        public var section: String
        public var viewer: DashboardViewer
        /// Row prefixes this page shows (its live stream's filter).
        public var watch: [String]
        /// The row store's sequence number the page was rendered at.
        public var after: String
        public var zookeeper: String
        public var loginEnabled: Bool

        public init(
            title: String,
            section: String,
            viewer: DashboardViewer,
            watch: [String],
            after: String,
            zookeeper: String,
            loginEnabled: Bool
        ) {
            self.title = title
            self.section = section
            self.viewer = viewer
            self.watch = watch
            self.after = after
            self.zookeeper = zookeeper
            self.loginEnabled = loginEnabled
        }
    }

    static let instanceHead = [
        "Instance", "Zone", "Host", "Address", "Release", "State", "Routed", "Restarts", "Last error",
    ]
    static let buildHead = ["Build", "App", "State", "Commit / source", "Image", "Asked by", "Asked at", "Message"]

    public static func page(_ frame: Frame, body: String) -> String {
        let nav = [("apps", "/ui", "Apps"), ("builds", "/ui/builds", "Builds"), ("cluster", "/ui/cluster", "Cluster")]
            .map { id, href, label in
                "<a href=\"\(href)\"\(id == frame.section ? " class=\"active\"" : "")>\(label)</a>"
            }.joined()
        var who = ""
        if frame.loginEnabled, let name = frame.viewer.name {
            who =
                "<form method=\"post\" action=\"/ui/logout\" class=\"who\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(frame.viewer.csrf))\"><span>\(HTML.escape(name))\(frame.viewer.admin ? " (admin)" : "")</span> <button type=\"submit\">Log out</button></form>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(frame.title)) · Atlantis</title><link rel="stylesheet" href="/ui/assets/app.css"></head>
            <body data-watch="\(HTML.escape(frame.watch.joined(separator: ",")))" data-after="\(HTML.escape(frame.after))">
            <header><a class="brand" href="/ui">Atlantis</a><nav>\(nav)</nav>\(who)</header>
            <div data-list="zk">\(frame.zookeeper)</div><div id="conn" class="banner stale" hidden>the page lost the manager: reconnecting…</div>
            <main>\(body)</main>
            <script src="/ui/assets/app.js" defer></script>
            </body></html>
            """
    }

    static func table(_ list: String, head: [String], rows: [String], empty: String, order: String = "asc") -> String {
        let header = head.map { "<th>\(HTML.escape($0))</th>" }.joined()
        let body =
            rows.isEmpty
            ? "<tr class=\"empty\"><td colspan=\"\(head.count)\">\(HTML.escape(empty))</td></tr>" : rows.joined()
        return
            "<table><thead><tr>\(header)</tr></thead><tbody data-list=\"\(list)\" data-order=\"\(order)\">\(body)</tbody></table>"
    }

    public static func apps(rows: [String]) -> String {
        "<h1>Apps</h1>"
            + table(
                "envs",
                head: ["App", "Environment", "Team", "Desired", "Healthy by zone", "Release", "Last deploy"],
                rows: rows,
                empty: "no apps yet: atlantis apply -f app.yaml"
            )
    }

    public static func environment(
        app: String,
        env: String,
        summary: String?,
        instances: [String],
        releases: [String],
        routes: [String],
        audit: [AuditRecord],
        mayReadLogs: Bool
    ) -> String {
        let base = "/ui/apps/\(HTML.segment(app))/\(HTML.segment(env))"
        var out = "<h1>\(HTML.escape(app)) <span class=\"muted\">in</span> \(HTML.escape(env))</h1>"
        out += "<div data-list=\"summary\">\(summary ?? "<p class=\"empty\">no Deploy runs this environment</p>")</div>"
        out += "<h2>Instances</h2>"
        out += table(
            "instances",
            head: instanceHead,
            rows: instances,
            empty: "no instances"
        )
        out += "<h2>Releases</h2>"
        out += table(
            "releases",
            head: ["Release", "Image", "Cause", "Made", ""],
            rows: releases,
            empty: "no releases",
            order: "desc"
        )
        out += "<h2>Routes</h2>"
        out += table("routes", head: ["Route", "Host", "Path"], rows: routes, empty: "no routes to this environment")
        out += "<h2>Logs</h2>"
        if mayReadLogs {
            out +=
                "<pre class=\"log\" data-follow=\"\(base)/logs?tail=100&amp;follow=true\" data-format=\"entries\"></pre>"
        } else {
            out += "<p class=\"muted\">Only the app's team and admins read its logs.</p>"
        }
        out += "<h2>Recent changes</h2><ul class=\"audit\">"
        if audit.isEmpty { out += "<li class=\"muted\">none</li>" }
        for record in audit.reversed() {
            var line = "\(record.time) · \(record.action) by \(record.caller ?? "-") (\(record.source))"
            if let from = record.from, let to = record.to { line += " r\(from) → r\(to)" }
            if let reason = record.reason { line += " · \(reason)" }
            out += "<li>\(HTML.escape(line))</li>"
        }
        return out + "</ul>"
    }

    public static func deploy(name: String, app: String, env: String, summary: String?, instances: [String]) -> String {
        var out =
            "<h1>Deploy \(HTML.escape(name))</h1><p><a href=\"/ui/apps/\(HTML.segment(app))/\(HTML.segment(env))\">\(HTML.escape(app)) in \(HTML.escape(env))</a> · this page follows the rollout live until it ends</p>"
        out += "<div data-list=\"summary\">\(summary ?? "<p class=\"empty\">the Deploy does not exist</p>")</div>"
        out += "<h2>Instances</h2>"
        out += table(
            "instances",
            head: instanceHead,
            rows: instances,
            empty: "no instances"
        )
        return out
    }

    public static func builds(rows: [String]) -> String {
        "<h1>Builds</h1>"
            + table(
                "builds",
                head: buildHead,
                rows: rows,
                empty: "no builds yet: atlantis build APP --source DIR",
                order: "desc"
            )
    }

    public static func build(id: String, row: String?) -> String {
        "<h1>Build <code>\(HTML.escape(id))</code></h1>"
            + table(
                "builds",
                head: buildHead,
                rows: row.map { [$0] } ?? [],
                empty: "no such build"
            )
            + "<h2>Log</h2><pre class=\"log\" data-follow=\"/ui/builds/\(HTML.segment(id))/log?follow=true\" data-format=\"text\"></pre>"
    }

    public static func cluster(supervisors: [String], routers: [String], zookeeper: String, root: String) -> String {
        "<h1>Cluster</h1><p>Root <code>\(HTML.escape(root))</code> on ZooKeeper \(HTML.escape(zookeeper))</p><h2>Supervisors</h2>"
            + table(
                "supervisors",
                head: ["Host", "Zone", "Address", "Capacity used", "Placed"],
                rows: supervisors,
                empty: "no supervisor registered"
            )
            + "<h2>Routers</h2>"
            + table(
                "routers",
                head: ["Router", "Address", "Table version", "Pools"],
                rows: routers,
                empty: "no router registered"
            )
    }

    public static func login(error: String?, next: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Log in · Atlantis</title><link rel="stylesheet" href="/ui/assets/app.css"></head>
        <body class="login"><main><h1>Atlantis</h1>
        \(error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
        <form method="post" action="/ui/login"><input type="hidden" name="next" value="\(HTML.escape(next))">
        <label>User <input name="user" id="user" autocomplete="username" required autofocus></label>
        <label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
        <button type="submit" id="login">Log in</button></form></main></body></html>
        """
    }

    public static func message(_ title: String, _ text: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title)) · Atlantis</title><link rel="stylesheet" href="/ui/assets/app.css"></head>
        <body><main><h1>\(HTML.escape(title))</h1><p class="error" role="alert">\(HTML.escape(text))</p><p><a href="/ui">Back to the apps</a></p></main></body></html>
        """
    }
}
