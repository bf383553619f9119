import Foundation
import Hummingbird
import Manager
import ManagerAPI
import ZKModel
import ZooKeeper

extension ManagerRoutes {
    var gitOpsFolder: String { tree.status + "/gitops" }

    /// `PUT /v1/gitops/{name}`: a pull job's report of its last attempt.
    func reportGitOps(_ request: Request, _ context: ManagerRequestContext) async throws -> Response {
        let job = try name(context.parameters.require("name"), of: "gitops job")
        let status = try await RequestBody.read(
            request,
            limit: 64 * 1024,
            maxNesting: 4
        ).json().decode(GitOpsStatus.self, allowed: GitOpsStatus.fields)
        guard status.name == job else {
            throw Problem(.badRequest, "the report is for \"\(status.name)\", not \"\(job)\" as the path says")
        }
        if let problem = status.problem { throw Problem(.badRequest, problem) }
        let data = try Reply.encoder.encode(status)
        try await read {
            try await zk.ensurePath(gitOpsFolder, acl: manager.store.desiredACL)
            try await zk.upsert(
                ZNodeTree.child(job, of: gitOpsFolder),
                data: Array(data),
                acl: manager.store.desiredACL
            )
        }
        return try Reply.json(status)
    }

    func listGitOps() async throws -> Response {
        let items = try await read { () -> [GitOpsStatus] in
            let names = (try? await zk.children(gitOpsFolder)) ?? []
            var out: [GitOpsStatus] = []
            for name in names.sorted() {
                guard let (data, _) = try? await zk.getData(ZNodeTree.child(name, of: gitOpsFolder)),
                    let status = try? JSONDecoder().decode(GitOpsStatus.self, from: Data(data))
                else { continue }
                out.append(status)
            }
            return out
        }
        return try Reply.json(GitOpsList(items: items))
    }

    func oneGitOps(_ text: String) async throws -> Response {
        let job = try name(text, of: "gitops job")
        guard let (data, _) = try? await zk.getData(ZNodeTree.child(job, of: gitOpsFolder)),
            let status = try? JSONDecoder().decode(GitOpsStatus.self, from: Data(data))
        else { throw Problem(.notFound, "no gitops job \"\(job)\" has reported") }
        return try Reply.json(status)
    }
}
