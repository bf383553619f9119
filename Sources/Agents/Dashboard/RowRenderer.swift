import Foundation
import ZKModel

/// Every row of every page, from the model: the same function renders a page and the
/// deltas a live page receives, so both always agree.
public enum RowRenderer {
    public static func rows(_ model: ClusterModel, zookeeper: ZooKeeperState) -> [DashboardRow] {
        var rows: [DashboardRow] = [zookeeperRow(zookeeper)]
        rows.reserveCapacity(model.deploys.count * 3 + model.instances.count + 16)
        var appsWithDeploys = Set<String>()
        let index = model.index()
        for deploy in model.deploys.values {
            appsWithDeploys.insert(deploy.spec.app)
            let zones = index.zones["\(deploy.spec.app)/\(deploy.spec.environment)"] ?? []
            rows.append(environmentRow(deploy, model, zones: zones))
            rows.append(summaryRow(deploy, model, zones: zones))
            for release in model.releases[deploy.name] ?? [] { rows.append(releaseRow(release, deploy, model)) }
        }
        for (app, spec) in model.apps where !appsWithDeploys.contains(app) {
            let key = "env/\(app)/-/"
            rows.append(
                DashboardRow(
                    key: key,
                    list: "envs",
                    html:
                        "<tr data-key=\"\(key)\"><td>\(HTML.escape(app))</td><td class=\"muted\">no environment</td><td>\(HTML.escape(spec.team))</td><td>-</td><td>-</td><td>-</td><td>-</td></tr>"
                )
            )
        }
        for (id, status) in model.instances { rows.append(instanceRow(id, status, model)) }
        for (name, route) in model.routes {
            guard let app = route.pool.app, let env = route.pool.environment else { continue }
            let key = "route/\(app)/\(env)/\(name)"
            let path = route.pathPrefix ?? "/"
            rows.append(
                DashboardRow(
                    key: key,
                    list: "routes",
                    html:
                        "<tr data-key=\"\(key)\"><td>\(HTML.escape(name))</td><td>\(HTML.escape(route.host))</td><td>\(HTML.escape(path))</td></tr>"
                )
            )
        }
        for (id, view) in model.supervisors { rows.append(supervisorRow(id, view, placed: index.placed[id] ?? [:])) }
        for (id, report) in model.routers {
            let key = "router/\(id)"
            rows.append(
                DashboardRow(
                    key: key,
                    list: "routers",
                    html:
                        "<tr data-key=\"\(key)\"><td>\(HTML.escape(id))</td><td>\(HTML.escape(report.address))</td><td><code>\(HTML.escape(String(report.tableVersion.prefix(16))))</code></td><td>\(report.poolCount ?? report.pools?.count ?? 0)</td></tr>"
                )
            )
        }
        for (id, build) in model.builds { rows.append(buildRow(id, build, model.buildStatus[id])) }
        return rows
    }

    static func zookeeperRow(_ state: ZooKeeperState) -> DashboardRow {
        let html: String
        switch state {
        case .connected(let hosts):
            html =
                "<div data-key=\"zk\" class=\"banner live\">live · ZooKeeper \(HTML.escape(hosts)) connected</div>"
        case .disconnected(let since):
            html =
                "<div data-key=\"zk\" class=\"banner stale\">stale since \(HTML.escape(since)): the manager lost ZooKeeper; what is shown may be out of date</div>"
        }
        return DashboardRow(key: "zk", list: "zk", html: html)
    }

    static func link(app: String, env: String) -> String {
        "/ui/apps/\(HTML.segment(app))/\(HTML.segment(env))"
    }

    static func zonesCell(_ zones: [(zone: String, serving: Int, total: Int)]) -> String {
        guard !zones.isEmpty else { return "<span class=\"muted\">none</span>" }
        return zones.map { z in
            let state = z.serving == z.total ? "ok" : (z.serving == 0 ? "bad" : "warn")
            return "<span class=\"zone \(state)\">\(HTML.escape(z.zone)) \(z.serving)/\(z.total)</span>"
        }.joined(separator: " ")
    }

    /// The rollout in a few words, and how it is doing (ok, warn, bad).
    static func deployState(_ deploy: ClusterModel.DeployView, _ model: ClusterModel) -> (text: String, state: String) {
        guard let status = model.deployStatus[deploy.name] else { return ("waiting for the scheduler", "warn") }
        if let error = status.lastError, !error.isEmpty { return (error, "bad") }
        guard let rollout = status.rollout else { return ("placed", "warn") }
        if status.observedGeneration < deploy.generation { return ("new spec, not yet seen", "warn") }
        if rollout.complete { return ("r\(rollout.release) · \(rollout.healthy)/\(rollout.desired) healthy", "ok") }
        let failing = status.conditions.first { $0.status == "False" && $0.type != "Ready" }
        if let failing, !failing.message.isEmpty { return (failing.message, "bad") }
        return ("rolling out r\(rollout.release): \(rollout.healthy)/\(rollout.desired) healthy", "warn")
    }

    static func environmentRow(
        _ deploy: ClusterModel.DeployView,
        _ model: ClusterModel,
        zones: ClusterModel.ZoneCounts
    ) -> DashboardRow {
        let spec = deploy.spec
        let key = "env/\(spec.app)/\(spec.environment)/"
        let team = model.apps[spec.app]?.team ?? "-"
        let release = model.pointers[deploy.name].map { "r\($0.current)" } ?? "-"
        let image = model.currentImage(deploy: deploy.name) ?? (spec.build != nil ? "(from source)" : "-")
        let (text, state) = deployState(deploy, model)
        let html =
            "<tr data-key=\"\(key)\"><td><a href=\"\(link(app: spec.app, env: spec.environment))\">\(HTML.escape(spec.app))</a></td>"
            + "<td>\(HTML.escape(spec.environment))</td><td>\(HTML.escape(team))</td><td>\(spec.instances)</td>"
            + "<td>\(zonesCell(zones))</td>"
            + "<td>\(release) <code>\(HTML.escape(short(image)))</code></td>"
            + "<td class=\"state \(state)\"><a href=\"/ui/deploys/\(HTML.segment(deploy.name))\">\(HTML.escape(text))</a></td></tr>"
        return DashboardRow(key: key, list: "envs", html: html, team: team)
    }

    static func summaryRow(
        _ deploy: ClusterModel.DeployView,
        _ model: ClusterModel,
        zones: ClusterModel.ZoneCounts
    ) -> DashboardRow {
        let spec = deploy.spec
        let key = "summary/\(spec.app)/\(spec.environment)/"
        let team = model.apps[spec.app]?.team
        let (text, state) = deployState(deploy, model)
        let release = model.pointers[deploy.name].map { "r\($0.current) of \($0.latest)" } ?? "none yet"
        let html =
            "<dl data-key=\"\(key)\" class=\"summary\"><dt>Deploy</dt><dd><a href=\"/ui/deploys/\(HTML.segment(deploy.name))\">\(HTML.escape(deploy.name))</a> (generation \(deploy.generation))</dd>"
            + "<dt>Team</dt><dd>\(HTML.escape(team ?? "-"))</dd>"
            + "<dt>Instances</dt><dd>\(spec.instances) desired · \(zonesCell(zones))</dd>"
            + "<dt>Release</dt><dd>\(release) <code>\(HTML.escape(model.currentImage(deploy: deploy.name) ?? "-"))</code></dd>"
            + "<dt>State</dt><dd class=\"state \(state)\">\(HTML.escape(text))</dd>"
            + "<dt></dt><dd>\(DashboardRow.actionsMarker)</dd></dl>"
        let action =
            "<form method=\"post\" action=\"\(link(app: spec.app, env: spec.environment))/scale\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(DashboardRow.csrfMarker)\"><label>Scale to <input name=\"instances\" type=\"number\" min=\"0\" max=\"1000\" value=\"\(spec.instances)\"></label> <button type=\"submit\" data-action=\"scale\">Scale</button></form>"
        return DashboardRow(key: key, list: "summary", html: html, team: team, action: action)
    }

    static func releaseRow(_ release: Release, _ deploy: ClusterModel.DeployView, _ model: ClusterModel) -> DashboardRow
    {
        let spec = deploy.spec
        let key = "rel/\(spec.app)/\(spec.environment)/\(Release.name(release.number))"
        let current = model.pointers[deploy.name]?.current == release.number
        let team = model.apps[spec.app]?.team
        let html =
            "<tr data-key=\"\(key)\"\(current ? " class=\"current\"" : "")><td>r\(release.number)\(current ? " <strong>current</strong>" : "")</td>"
            + "<td><code>\(HTML.escape(short(release.image)))</code></td><td>\(HTML.escape(release.cause))</td><td>\(HTML.escape(release.createdAt))</td>"
            + "<td>\(current ? "" : DashboardRow.actionsMarker)</td></tr>"
        let action =
            "<form method=\"post\" action=\"/ui/deploys/\(HTML.segment(deploy.name))/undo\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(DashboardRow.csrfMarker)\"><input type=\"hidden\" name=\"to\" value=\"\(release.number)\"><input type=\"hidden\" name=\"from\" value=\"\(model.pointers[deploy.name]?.current ?? 0)\"><button type=\"submit\" data-action=\"rollback\" data-release=\"\(release.number)\">Roll back to r\(release.number)</button></form>"
        return DashboardRow(key: key, list: "releases", html: html, team: team, action: action)
    }

    static func instanceRow(_ id: String, _ status: InstanceStatus, _ model: ClusterModel) -> DashboardRow {
        let key = "inst/\(status.app)/\(status.environment)/\(id)"
        let current = model.isCurrent(status)
        let routed =
            !current ? "stale" : status.serving ? "yes" : (status.standby == true ? "warm" : "no")
        let state = status.state?.rawValue ?? "-"
        let css = !current ? "warn" : status.serving ? "ok" : (status.standby == true ? "muted" : "bad")
        let html =
            "<tr data-key=\"\(key)\"><td><code>\(HTML.escape(id))</code></td><td>\(HTML.escape(status.zone ?? "-"))</td>"
            + "<td>\(HTML.escape(status.supervisor ?? "-"))</td><td>\(HTML.escape(status.host)):\(status.port)</td>"
            + "<td>\(HTML.escape(status.release ?? "-"))</td><td class=\"state \(css)\">\(HTML.escape(state))</td><td>\(routed)</td>"
            + "<td>\(status.restarts ?? 0)</td><td class=\"error\">\(HTML.escape(status.lastError ?? ""))</td></tr>"
        return DashboardRow(key: key, list: "instances", html: html)
    }

    static func supervisorRow(
        _ id: String,
        _ view: ClusterModel.SupervisorView,
        placed: [String: Int]
    ) -> DashboardRow {
        let key = "sup/\(id)"
        let count = placed.values.reduce(0, +)
        let byApp = placed.map { "\(HTML.escape($0.key)) ×\($0.value)" }.sorted().joined(separator: ", ")
        let capacity = view.registration.capacity
        let html =
            "<tr data-key=\"\(key)\"><td>\(HTML.escape(id))</td><td>\(HTML.escape(view.registration.zone))</td>"
            + "<td>\(HTML.escape(view.registration.address))</td>"
            + "<td>\(count)/\(capacity.containers) containers · \(String(format: "%.1f", capacity.cpu)) cores · \(capacity.memoryMB) MB</td>"
            + "<td>\(byApp.isEmpty ? "<span class=\"muted\">nothing</span>" : byApp)</td></tr>"
        return DashboardRow(key: key, list: "supervisors", html: html)
    }

    static func buildRow(_ id: String, _ build: BuildRequest, _ status: BuildStatus?) -> DashboardRow {
        let key = "build/\(build.app)/\(id)"
        let phase = status?.phase.rawValue ?? (build.cancel == true ? "cancelling" : "queued")
        let css: String
        switch status?.phase {
        case .succeeded?: css = "ok"
        case .failed?, .cancelled?: css = "bad"
        default: css = "warn"
        }
        let commit = status?.provenance?.commit ?? build.commit ?? status?.provenance?.sourceDigest ?? "-"
        let html =
            "<tr data-key=\"\(key)\"><td><a href=\"/ui/builds/\(HTML.segment(id))\"><code>\(HTML.escape(id))</code></a></td>"
            + "<td>\(HTML.escape(build.app))</td><td class=\"state \(css)\">\(HTML.escape(phase))</td>"
            + "<td><code>\(HTML.escape(String(commit.prefix(19))))</code></td><td><code>\(HTML.escape(short(status?.image ?? "-")))</code></td>"
            + "<td>\(HTML.escape(build.requestedBy))</td><td>\(HTML.escape(build.requestedAt))</td>"
            + "<td class=\"error\">\(HTML.escape(status?.message ?? ""))</td></tr>"
        return DashboardRow(key: key, list: "builds", html: html)
    }

    /// `registry/apps/shop@sha256:0123456789ab…` → `…/shop@sha256:0123456789ab`.
    static func short(_ image: String) -> String {
        guard let at = image.range(of: "@sha256:") else { return image }
        let name = image[..<at.lowerBound].split(separator: "/").last.map(String.init) ?? ""
        return name + "@" + image[at.upperBound...].prefix(12)
    }
}

/// The manager's ZooKeeper connection, as the pages show it.
public enum ZooKeeperState: Sendable, Hashable {
    case connected(hosts: String)
    /// Since when (ISO 8601) the manager has not been connected.
    case disconnected(since: String)
}
