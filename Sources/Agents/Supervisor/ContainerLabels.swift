/// The labels Atlantis puts on every container it runs. A container carrying `host` with a
/// supervisor's id belongs to that supervisor: adopted after a restart, removed when unassigned.
public enum ContainerLabels {
    static let managed = "atlantis.managed"
    static let host = "atlantis.host"
    static let instance = "atlantis.instance"
    static let app = "atlantis.app"
    static let environment = "atlantis.environment"
    static let release = "atlantis.release"
    static let generation = "atlantis.generation"
    /// A hash of everything that makes the container what it is (image, port, env, limits).
    static let spec = "atlantis.spec"
    /// `sandbox` on a warm network sandbox (`SandboxPool`): it carries `host`, never `instance`.
    static let role = "atlantis.role"
    /// On a container started in a sandbox's network: that sandbox's id.
    static let sandbox = "atlantis.sandbox"
    /// On a container started in a sandbox's network: the host port the sandbox publishes for it.
    static let hostPort = "atlantis.host-port"

    /// The name of an instance's container (`-2`, `-3`, ... appended while a container the Engine
    /// cannot remove holds it).
    public static func containerName(host: String, instance: String) -> String { "atlantis-\(host)-\(instance)" }

    /// A sandbox's name: the underscore keeps it apart from every instance's (ids are DNS labels).
    static func sandboxName(host: String, suffix: String) -> String { "atlantis-\(host)_sandbox-\(suffix)" }
}
