import Dashboard
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Manager
import ManagerAPI
import NIOCore
import ZKModel

/// `/ui`: the dashboard. Pages are rendered here from the `DashboardHub`'s rows (HTML that
/// reads without JavaScript); `/ui/events` streams the rows that change; the forms (roll back,
/// scale) make the same `Manager` calls as the API, as the logged-in user. Nothing here
/// writes ZooKeeper but through `Manager`.
extension ManagerRoutes {
    struct Viewing {
        var viewer: DashboardViewer
        var token: String?
        var authenticated: Authenticated?
        var principal: Principal?
    }

    typealias UIHandler = @Sendable (Request, ManagerRequestContext, Viewing) async throws -> Response

    func addDashboard(to router: Router<ManagerRequestContext>) {
        router.get("/ui/assets/app.js") { _, _ in
            Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/ui/assets/app.css") { _, _ in Self.asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("/ui/login") { request, _ in
            let next = request.uri.queryParameters["next"].map(String.init) ?? "/ui"
            return Self.html(Pages.login(error: nil, next: Self.safeNext(next)))
        }
        router.post("/ui/login") { request, context in try await uiLogin(request, context) }
        ui(router, .post, "/ui/logout", page: false) { request, _, viewing in try await uiLogout(request, viewing) }
        ui(router, .get, "/ui") { _, _, viewing in try await appsPage(viewing) }
        ui(router, .get, "/ui/apps/:name/:env") { _, context, viewing in
            try await environmentPage(
                app: context.parameters.require("name"),
                env: context.parameters.require("env"),
                viewing
            )
        }
        ui(router, .get, "/ui/apps/:name/:env/logs", page: false) { request, context, _ in
            try await logs(request, context)
        }
        ui(router, .post, "/ui/apps/:name/:env/scale", page: false) { request, context, viewing in
            try await uiScale(request, context, viewing)
        }
        ui(router, .get, "/ui/deploys/:name") { _, context, viewing in
            try await deployPage(context.parameters.require("name"), viewing)
        }
        ui(router, .post, "/ui/deploys/:name/undo", page: false) { request, context, viewing in
            try await uiUndo(request, deploy: context.parameters.require("name"), viewing)
        }
        ui(router, .get, "/ui/builds") { _, _, viewing in try await buildsPage(viewing) }
        ui(router, .get, "/ui/builds/:name") { _, context, viewing in
            try await buildPage(context.parameters.require("name"), viewing)
        }
        ui(router, .get, "/ui/builds/:name/log", page: false) { request, context, _ in
            try await buildLog(request, id: context.parameters.require("name"))
        }
        ui(router, .get, "/ui/cluster") { _, _, viewing in try await clusterPage(viewing) }
        ui(router, .get, "/ui/events", page: false) { request, _, viewing in try await uiEvents(request, viewing) }
    }

    /// A dashboard route: the session checked first. Without one, a page sends the browser to
    /// the login form; anything else is refused with 401.
    private func ui(
        _ router: Router<ManagerRequestContext>,
        _ method: HTTPRequest.Method,
        _ path: String,
        page: Bool = true,
        _ handler: @escaping UIHandler
    ) {
        router.on(RouterPath(path), method: method) { request, context in
            // The first dashboard request starts the view (and waits for its first reading).
            await dashboard.demand()
            guard let viewing = try await viewing(request) else {
                if page && method == .get {
                    let next = Self.safeNext(request.uri.path)
                    return Self.redirect(
                        "/ui/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/ui")"
                    )
                }
                throw Problem(.unauthorized, "log in to the dashboard first (/ui/login)")
            }
            let caller = viewing.principal.map { "\($0.name)@\(context.caller)" } ?? context.caller
            return try await Authenticated.$current.withValue(viewing.authenticated) {
                try await WriteAccess.$current.withValue(viewing.principal) {
                    try await AuditCaller.$current.withValue(caller) {
                        try await handler(request, context, viewing)
                    }
                }
            }
        }
    }

    /// Who the request comes from: nil when this manager checks users and the request has no
    /// valid session.
    func viewing(_ request: Request) async throws -> Viewing? {
        guard let auth else {
            return Viewing(
                viewer: DashboardViewer(name: nil, csrf: DashboardSession.csrf(token: nil), admin: true, teams: nil)
            )
        }
        guard let token = DashboardSession.token(request),
            let authenticated = try? await auth.authenticate(authorization: "Bearer " + token)
        else { return nil }
        // The directory down: pages still show, without buttons (writes are refused anyway).
        let principal = try? await auth.principal(authenticated, forWrite: true)
        let teams = principal.map { DashboardSession.teams(of: $0, model: dashboard.snapshot) } ?? Set<String>()
        let viewer = DashboardViewer(
            name: authenticated.record.name,
            csrf: DashboardSession.csrf(token: token),
            admin: principal?.admin ?? false,
            teams: teams
        )
        return Viewing(viewer: viewer, token: token, authenticated: authenticated, principal: principal)
    }

    private func frame(_ title: String, _ section: String, _ viewing: Viewing, watch: [String]) -> Pages.Frame {
        dashboard.refresh()
        let zk = dashboard.store.row("zk")?.html ?? ""
        return Pages.Frame(
            title: title,
            section: section,
            viewer: viewing.viewer,
            watch: watch,
            after: "\(dashboard.epoch)-\(dashboard.store.seq)",
            zookeeper: zk,
            loginEnabled: auth != nil
        )
    }

    private func rendered(_ prefixes: [String], _ viewing: Viewing) -> [String] {
        dashboard.refresh()
        return dashboard.store.rows(prefixes: prefixes).map { $0.rendered(for: viewing.viewer) }
    }

    func appsPage(_ viewing: Viewing) async throws -> Response {
        let start = ContinuousClock.now
        let watch = ["env/"]
        let frame = frame("Apps", "apps", viewing, watch: watch)
        return Self.html(Pages.page(frame, body: Pages.apps(rows: rendered(watch, viewing))), since: start)
    }

    func environmentPage(app text: String, env envText: String, _ viewing: Viewing) async throws -> Response {
        let start = ContinuousClock.now
        let app = try name(text, of: "app")
        let env = try name(envText, of: "environment")
        let model = dashboard.snapshot
        guard model.apps[app] != nil || model.deploy(app: app, environment: env) != nil else {
            return Self.html(Pages.message("Not found", "App \(app) does not exist"), status: .notFound)
        }
        if let deploy = model.deploy(app: app, environment: env) { await dashboard.watchReleases(of: deploy.name) }
        let prefixes = ["summary/\(app)/\(env)/", "inst/\(app)/\(env)/", "rel/\(app)/\(env)/", "route/\(app)/\(env)/"]
        let frame = frame("\(app) in \(env)", "apps", viewing, watch: prefixes)
        dashboard.refresh()
        let rows = dashboard.store.rows(prefixes: prefixes)
        func html(_ prefix: String) -> [String] {
            rows.filter { $0.key.hasPrefix(prefix) }.map { $0.rendered(for: viewing.viewer) }
        }
        // Among the newest 300 records only: a page load never reads the whole trail.
        let audit = (try? await manager.audit(app: app, limit: 15, scan: 300).map(\.record)) ?? []
        let team = model.apps[app]?.team
        let body = Pages.environment(
            app: app,
            env: env,
            summary: html(prefixes[0]).first,
            instances: html(prefixes[1]),
            releases: html(prefixes[2]).reversed(),
            routes: html(prefixes[3]),
            audit: audit,
            mayReadLogs: viewing.viewer.mayWrite(team: team)
        )
        return Self.html(Pages.page(frame, body: body), since: start)
    }

    func deployPage(_ text: String, _ viewing: Viewing) async throws -> Response {
        let deploy = try name(text, of: "deploy")
        guard let view = dashboard.snapshot.deploys[deploy] else {
            return Self.html(Pages.message("Not found", "Deploy \(deploy) does not exist"), status: .notFound)
        }
        let (app, env) = (view.spec.app, view.spec.environment)
        let prefixes = ["summary/\(app)/\(env)/", "inst/\(app)/\(env)/"]
        let frame = frame("Deploy \(deploy)", "apps", viewing, watch: prefixes)
        let body = Pages.deploy(
            name: deploy,
            app: app,
            env: env,
            summary: rendered([prefixes[0]], viewing).first,
            instances: rendered([prefixes[1]], viewing)
        )
        return Self.html(Pages.page(frame, body: body))
    }

    func buildsPage(_ viewing: Viewing) async throws -> Response {
        let watch = ["build/"]
        let frame = frame("Builds", "builds", viewing, watch: watch)
        return Self.html(Pages.page(frame, body: Pages.builds(rows: rendered(watch, viewing).reversed())))
    }

    func buildPage(_ id: String, _ viewing: Viewing) async throws -> Response {
        guard BuildRequest.isValidID(id) else { throw Problem(.badRequest, "\"\(id)\" is not a build id") }
        let app = dashboard.snapshot.builds[id]?.app ?? "-"
        let watch = ["build/\(app)/\(id)"]
        let frame = frame("Build \(id)", "builds", viewing, watch: watch)
        return Self.html(Pages.page(frame, body: Pages.build(id: id, row: rendered(watch, viewing).first)))
    }

    func clusterPage(_ viewing: Viewing) async throws -> Response {
        let watch = ["sup/", "router/"]
        let frame = frame("Cluster", "cluster", viewing, watch: watch)
        let body = Pages.cluster(
            supervisors: rendered(["sup/"], viewing),
            routers: rendered(["router/"], viewing),
            zookeeper: dashboard.hosts,
            root: tree.root
        )
        return Self.html(Pages.page(frame, body: body))
    }

    // MARK: Writes

    /// Refuses a form without the session's CSRF token (403, nothing done).
    private func checkForm(_ form: [String: String], _ viewing: Viewing) throws {
        guard DashboardSession.checks(form["csrf"], token: viewing.token) else {
            throw Problem(
                .forbidden,
                "the form's CSRF token is missing or not this session's: reload the page; nothing was done"
            )
        }
    }

    func uiUndo(_ request: Request, deploy text: String, _ viewing: Viewing) async throws -> Response {
        let deploy = try name(text, of: "deploy")
        let form = try await DashboardSession.form(request)
        try checkForm(form, viewing)
        let to = try form["to"].map { text -> Int in
            guard let value = Int(text), value > 0 else {
                throw Problem(.badRequest, "to: a release number, not \(text)")
            }
            return value
        }
        let from = form["from"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        reads.noteWrite()
        let release = try await run { () async throws(ManagerError) in
            try await manager.undo(deploy: deploy, to: to, from: from, source: "dashboard")
        }
        let target = dashboard.snapshot.deploys[deploy].map { RowLinks.environment($0.spec) } ?? "/ui"
        accessLog.info("dashboard.undo", metadata: ["deploy": "\(deploy)", "release": "\(release.number)"])
        return Self.redirect(target)
    }

    func uiScale(_ request: Request, _ context: ManagerRequestContext, _ viewing: Viewing) async throws -> Response {
        let app = try name(context.parameters.require("name"), of: "app")
        let env = try name(context.parameters.require("env"), of: "environment")
        let form = try await DashboardSession.form(request)
        try checkForm(form, viewing)
        guard let text = form["instances"], let instances = Int(text), (0...1000).contains(instances) else {
            throw Problem(.badRequest, "instances: a number from 0 to 1000")
        }
        reads.noteWrite()
        _ = try await changeInstances(app: app, environment: env, to: instances, source: "dashboard")
        return Self.redirect("/ui/apps/\(HTML.segment(app))/\(HTML.segment(env))")
    }

    func uiLogin(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        guard let auth else { return Self.redirect("/ui") }
        let form = try await DashboardSession.form(request)
        let next = Self.safeNext(form["next"] ?? "/ui")
        let address = context.remoteAddress?.ipAddress ?? "-"
        do {
            let result = try await auth.login(
                user: form["user"] ?? "",
                password: form["password"] ?? "",
                address: address
            )
            accessLog.info("dashboard.login", metadata: ["user": "\(result.identity.name)", "address": "\(address)"])
            var response = Self.redirect(next)
            response.headers[.setCookie] = DashboardSession.setCookie(
                result.token,
                maxAge: Int(auth.configuration.sessionTTL)
            )
            return response
        } catch let problem as Problem {
            let status = HTTPResponse.Status(code: problem.status)
            return Self.html(Pages.login(error: problem.detail, next: next), status: status)
        }
    }

    func uiLogout(_ request: Request, _ viewing: Viewing) async throws -> Response {
        let form = try await DashboardSession.form(request)
        try checkForm(form, viewing)
        if let auth, let current = viewing.authenticated {
            try? await auth.tokens.revoke(hash: current.hash)
        }
        var response = Self.redirect("/ui/login")
        response.headers[.setCookie] = DashboardSession.clearCookie
        return response
    }

    // MARK: Helpers

    /// Only a dashboard path (no scheme, no `//`): a login never sends the browser elsewhere.
    static func safeNext(_ text: String) -> String {
        guard text.hasPrefix("/ui"), !text.contains("//"), !text.contains("\\"),
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else { return "/ui" }
        return text
    }

    static func html(
        _ text: String,
        status: HTTPResponse.Status = .ok,
        since start: ContinuousClock.Instant? = nil
    ) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!:
                "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        if let start {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            headers[HTTPField.Name("Server-Timing")!] = "render;dur=\(String(format: "%.2f", ms))"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// Links between pages.
enum RowLinks {
    static func environment(_ spec: DeploySpec) -> String {
        "/ui/apps/\(HTML.segment(spec.app))/\(HTML.segment(spec.environment))"
    }
}
