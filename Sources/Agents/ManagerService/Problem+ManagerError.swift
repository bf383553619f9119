import Manager
import ManagerAPI
import ZKModel

extension Problem {
    /// The API's form of a refusal by the manager, with every validation problem listed.
    init(_ error: ManagerError) {
        let code: Code
        switch error.code {
        case .invalidInput: code = .invalidInput
        case .conflict: code = .conflict
        case .unreachable: code = .unreachable
        case .notFound: code = .notFound
        case .forbidden: code = .forbidden
        case .unknownOutcome: code = .unknownOutcome
        }
        let entries = error.problems.flatMap { problem in
            let entries = problem.errors.map { field in
                Problem.Entry(
                    file: problem.location?.file,
                    document: problem.location?.index,
                    key: problem.key?.description,
                    field: field.path.description,
                    reason: field.reason
                )
            }
            return entries
        }
        self.init(code, error.message, problems: entries.isEmpty ? nil : entries)
    }
}
