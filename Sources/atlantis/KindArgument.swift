public import ArgumentParser
import Manager
import ZKModel

/// A kind as commands take it: singular or plural, any case (`deploy`, `Deploys`).
func kindArgument(_ value: String) throws -> Kind {
    guard let kind = Kind(argument: value) else {
        let known = Kind.allCases.map { $0.plural }.joined(separator: ", ")
        throw ValidationError("unknown kind \"\(value)\" (known: \(known))")
    }
    return kind
}

extension DocumentFormatter.Format: ExpressibleByArgument {}
