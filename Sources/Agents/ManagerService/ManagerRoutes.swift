public import Dashboard
import Foundation
public import Hummingbird
public import Logging
public import Manager
public import ManagerAPI
import Reconciler
public import Secrets
import Synchronization
import ZKModel
import ZooKeeper

/// The `/v1` API: every handler validates through `Manager` and writes ZooKeeper only through
/// it; nothing is kept here between requests, so any number of managers can serve side by side.
public struct ManagerRoutes: Sendable {
    public let manager: Manager
    public let watcher: RolloutWatcher
    public let configuration: ManagerServiceConfiguration
    /// Reads of one document or kind, from watches (as fresh as ZooKeeper's notifications).
    let reads: DocumentReads

    /// One line per request (method, path, status, duration, caller).
    let accessLog: Logger
    /// Users and tokens; nil: a manager without a directory, where every caller may write.
    public let auth: Authenticator?
    /// The cluster's secrets key; nil: secrets cannot be stored.
    public let secretBox: SecretBox?
    /// The dashboard's live view (`/ui`), run by `ManagerService`.
    public let dashboard: DashboardHub

    public init(
        manager: Manager,
        configuration: ManagerServiceConfiguration,
        reads: DocumentReads? = nil,
        accessLog: Logger? = nil,
        auth: Authenticator? = nil,
        secretBox: SecretBox? = nil
    ) {
        self.secretBox = secretBox
        var manager = manager
        manager.requireAuthorization = auth != nil
        self.manager = manager
        self.auth = auth
        self.accessLog = accessLog ?? manager.logger
        self.watcher = RolloutWatcher(zk: manager.store.zk, tree: manager.store.tree)
        self.configuration = configuration
        self.reads = reads ?? DocumentReads(store: manager.store)
        self.dashboard = DashboardHub(
            zk: manager.store.zk,
            tree: manager.store.tree,
            hosts: configuration.zookeeperHosts,
            idleAfter: configuration.dashboardIdle
        )
    }

    var zk: ZooKeeperClient { manager.store.zk }
    var tree: ZNodeTree { manager.store.tree }

    /// Every route the router registers (compared with the OpenAPI document by the tests): the
    /// templates, with `{kind}` spelled out for every kind (the router matches constant segments
    /// before parameters and does not backtrack, so `/v1/apps/{name}` must be a route of its own).
    public static let routes: [APIRoute] = templates.flatMap { template -> [APIRoute] in
        guard template.path.contains("{kind}") else { return [template] }
        return Kind.allCases.map { kind in
            APIRoute(template.method, template.path.replacingOccurrences(of: "{kind}", with: kind.plural))
        }
    }

    /// The routes as handlers know them.
    static let templates: [APIRoute] = [
        APIRoute("GET", "/healthz"),
        APIRoute("GET", "/metrics"),
        APIRoute("GET", "/v1/openapi.json"),
        APIRoute("POST", "/v1/apply"),
        APIRoute("POST", "/v1/diff"),
        APIRoute("GET", "/v1/instances"),
        APIRoute("GET", "/v1/audit"),
        APIRoute("POST", "/v1/login"),
        APIRoute("POST", "/v1/logout"),
        APIRoute("GET", "/v1/whoami"),
        APIRoute("GET", "/v1/tokens"),
        APIRoute("POST", "/v1/tokens"),
        APIRoute("DELETE", "/v1/tokens/{name}"),
        APIRoute("GET", "/v1/gitops"),
        APIRoute("GET", "/v1/gitops/{name}"),
        APIRoute("PUT", "/v1/gitops/{name}"),
        APIRoute("GET", "/v1/deploys/{name}/rollout"),
        APIRoute("GET", "/v1/deploys/{name}/releases"),
        APIRoute("POST", "/v1/deploys/{name}/undo"),
        APIRoute("GET", "/v1/deploys/{name}/events"),
        APIRoute("POST", "/v1/apps/{name}/environments/{env}/deploy"),
        APIRoute("POST", "/v1/apps/{name}/environments/{env}/scale"),
        APIRoute("DELETE", "/v1/apps/{name}/environments/{env}"),
        APIRoute("GET", "/v1/apps/{name}/environments/{env}/secrets"),
        APIRoute("PUT", "/v1/apps/{name}/environments/{env}/secrets"),
        APIRoute("GET", "/v1/apps/{name}/environments/{env}/logs"),
        APIRoute("POST", "/v1/apps/{name}/sources"),
        APIRoute("POST", "/v1/apps/{name}/builds"),
        APIRoute("GET", "/v1/apps/{name}/builds"),
        APIRoute("GET", "/v1/builds/{name}"),
        APIRoute("DELETE", "/v1/builds/{name}"),
        APIRoute("GET", "/v1/builds/{name}/log"),
        APIRoute("POST", "/v1/deploys/{name}/build"),
        APIRoute("GET", "/v1/{kind}"),
        APIRoute("GET", "/v1/{kind}/{name}"),
        APIRoute("PUT", "/v1/{kind}/{name}"),
        APIRoute("DELETE", "/v1/{kind}/{name}"),
    ]

    typealias Handler = @Sendable (Request, ManagerRequestContext, Kind?) async throws -> Response

    /// The router: `routes`, each handler under the request deadline, problem details for errors.
    public func router() -> Router<ManagerRequestContext> {
        let router = Router(context: ManagerRequestContext.self)
        router.add(middleware: ProblemMiddleware(logger: accessLog))
        let handlers: [String: Handler] = self.handlers()
        for template in Self.templates {
            guard let handler = handlers[template.description] else {
                preconditionFailure("no handler for \(template)")
            }
            // An event stream does not end; a document read applies the deadline itself, to its
            // ZooKeeper reads only (from the watched copy it does no I/O).
            let exempt =
                template.path.hasSuffix("/events") || template.path.hasSuffix("/log")
                || template.path.hasSuffix("/logs")
                || template.description == "GET /v1/{kind}/{name}"
            let deadline = exempt ? nil : configuration.requestDeadline
            let kinds: [Kind?] = template.path.contains("{kind}") ? Kind.allCases : [nil]
            for kind in kinds {
                let path =
                    kind.map { template.path.replacingOccurrences(of: "{kind}", with: $0.plural) } ?? template.path
                let route = APIRoute(template.method, path)
                router.on(RouterPath(route.routerPath), method: HTTPRequest.Method(route.method)!) { request, context in
                    let (authenticated, principal) = try await authenticate(request, template: template)
                    let writes = route.method != "GET"
                    if writes { reads.noteWrite() }
                    defer { if writes { reads.noteWrite() } }
                    let caller = principal.map { "\($0.name)@\(context.caller)" } ?? context.caller
                    return try await Authenticated.$current.withValue(authenticated) {
                        try await WriteAccess.$current.withValue(principal) {
                            try await AuditCaller.$current.withValue(caller) {
                                guard let deadline else { return try await handler(request, context, kind) }
                                return try await withDeadline(deadline) { try await handler(request, context, kind) }
                            }
                        }
                    }
                }
            }
        }
        addDashboard(to: router)
        return router
    }

    private func handlers() -> [String: Handler] {
        [
            "GET /healthz": { _, _, _ in try await health() },
            "GET /metrics": { _, _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(string: configuration.metrics()))
                )
            },
            "GET /v1/openapi.json": { _, _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: EmbeddedOpenAPI.document))
                )
            },
            "POST /v1/apply": { request, _, _ in try await apply(request, diff: false) },
            "POST /v1/diff": { request, _, _ in try await apply(request, diff: true) },
            "GET /v1/instances": { request, _, _ in try await instances(request) },
            "GET /v1/audit": { request, _, _ in try await audit(request) },
            "POST /v1/login": { request, context, _ in try await login(request, context) },
            "POST /v1/logout": { _, _, _ in try await logout() },
            "GET /v1/whoami": { _, _, _ in try await whoami() },
            "GET /v1/tokens": { _, _, _ in try await listTokens() },
            "POST /v1/tokens": { request, _, _ in try await createToken(request) },
            "DELETE /v1/tokens/{name}": { _, context, _ in try await revokeToken(context.parameters.require("name")) },
            "GET /v1/gitops": { _, _, _ in try await listGitOps() },
            "GET /v1/gitops/{name}": { _, context, _ in try await oneGitOps(context.parameters.require("name")) },
            "PUT /v1/gitops/{name}": { request, context, _ in try await reportGitOps(request, context) },
            "GET /v1/deploys/{name}/rollout": { _, context, _ in try await rollout(context.parameters.require("name"))
            },
            "GET /v1/deploys/{name}/releases": { _, context, _ in try await releases(context.parameters.require("name"))
            },
            "POST /v1/deploys/{name}/undo": { request, context, _ in
                try await undo(request, deploy: context.parameters.require("name"))
            },
            "GET /v1/deploys/{name}/events": { request, context, _ in
                try await events(request, deploy: context.parameters.require("name"))
            },
            "POST /v1/apps/{name}/environments/{env}/deploy": { request, context, _ in
                try await deploy(request, context, scale: false)
            },
            "POST /v1/apps/{name}/environments/{env}/scale": { request, context, _ in
                try await deploy(request, context, scale: true)
            },
            "DELETE /v1/apps/{name}/environments/{env}": { request, context, _ in try await teardown(request, context)
            },
            "GET /v1/apps/{name}/environments/{env}/secrets": { _, context, _ in try await listSecrets(context) },
            "PUT /v1/apps/{name}/environments/{env}/secrets": { request, context, _ in
                try await changeSecrets(request, context)
            },
            "GET /v1/apps/{name}/environments/{env}/logs": { request, context, _ in try await logs(request, context) },
            "POST /v1/apps/{name}/sources": { request, context, _ in try await uploadSource(request, context) },
            "POST /v1/apps/{name}/builds": { request, context, _ in try await createBuild(request, context) },
            "GET /v1/apps/{name}/builds": { request, context, _ in try await listBuilds(request, context) },
            "GET /v1/builds/{name}": { _, context, _ in try await oneBuild(context.parameters.require("name")) },
            "DELETE /v1/builds/{name}": { _, context, _ in try await cancelBuild(context.parameters.require("name")) },
            "GET /v1/builds/{name}/log": { request, context, _ in
                try await buildLog(request, id: context.parameters.require("name"))
            },
            "POST /v1/deploys/{name}/build": { _, context, _ in
                try await triggerBuild(context.parameters.require("name"))
            },
            "GET /v1/{kind}": { request, _, kind in try await list(request, kind: kind!) },
            "GET /v1/{kind}/{name}": { request, context, kind in
                try await one(request, kind: kind!, name: context.parameters.require("name"))
            },
            "PUT /v1/{kind}/{name}": { request, context, kind in try await put(request, context, kind: kind!) },
            "DELETE /v1/{kind}/{name}": { request, context, kind in try await delete(request, context, kind: kind!) },
        ]
    }

    private func health() async throws -> Response {
        // The root may not exist yet (nothing applied): ZooKeeper's own root always does.
        let connected = (try? await zk.exists("/")) != nil
        struct Health: Encodable {
            var zookeeper: String
            var root: String
            var region: String?
        }
        return try Reply.json(
            Health(zookeeper: connected ? "connected" : "unreachable", root: tree.root, region: configuration.region),
            status: connected ? .ok : .serviceUnavailable
        )
    }

    /// Runs a manager call, its refusal becoming problem details.
    func run<T: Sendable>(_ body: () async throws(ManagerError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Problem(error)
        }
    }
}
