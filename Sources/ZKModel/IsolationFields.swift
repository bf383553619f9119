/// Container settings that would make team boundaries meaningless. No kind has them, so a
/// document with one is refused anyway; this names why, instead of "is not a known field".
public enum IsolationFields {
    static let reasons: [String: String] = [
        "privileged": "privileged containers are refused: one could reach the host and every other team's containers",
        "hostNetwork": "host networking is refused: the container would bypass its egress rules",
        "networkMode": "choosing the container's network is refused: its network and egress rules are Atlantis's",
        "network": "choosing the container's network is refused: its network and egress rules are Atlantis's",
        "hostPID": "the host's process namespace is refused: the container could see and signal the host's processes",
        "pid": "the host's process namespace is refused: the container could see and signal the host's processes",
        "ipc": "the host's IPC namespace is refused",
        "volumes": "host mounts are refused: a container gets no files of its host",
        "mounts": "host mounts are refused: a container gets no files of its host",
        "binds": "host mounts are refused: a container gets no files of its host",
        "hostPath": "host mounts are refused: a container gets no files of its host",
        "devices": "host devices are refused",
        "capAdd": "extra capabilities are refused",
        "capabilities": "extra capabilities are refused",
        "securityOpt": "changing the container's security profile is refused",
    ]

    /// `errors` with the reason of an unknown field that would break isolation made explicit.
    static func explain(_ errors: [FieldError]) -> [FieldError] {
        errors.map { error in
            guard error.reason == "is not a known field", error.path.components.first == "spec",
                let name = error.path.components.last, let reason = reasons[name]
            else { return error }
            return FieldError(path: error.path, reason: reason)
        }
    }
}
