import Foundation

extension Document {
    /// Decodes the spec into its typed form (`AppSpec`, `DeploySpec`, ...).
    public func decodeSpec<Spec: Decodable>(_ type: Spec.Type = Spec.self) throws -> Spec {
        try JSONDecoder().decode(Spec.self, from: Data(spec.encoded().utf8))
    }
}
