import ArgumentParser

/// The transform of an option whose values are an enum's raw values: anything else is refused
/// with the option's name and the values it takes (`--engine must be nio or epoll, not uring`).
func optionChoice<Value: RawRepresentable & Sendable>(
    _ option: String,
    _ values: String
) -> @Sendable (String) throws -> Value where Value.RawValue == String {
    { value in
        guard let choice = Value(rawValue: value) else {
            throw ValidationError("\(option) must be \(values), not \(value)")
        }
        return choice
    }
}
