extension Document {
    /// Decodes the spec into its typed form (`AppSpec`, `DeploySpec`, ...) straight from its
    /// parsed value (`JSONValueDecoder`): the JSON is not written out and parsed again.
    public func decodeSpec<Spec: Decodable>(_ type: Spec.Type = Spec.self) throws -> Spec {
        try JSONValueDecoder.decode(Spec.self, from: spec)
    }
}
