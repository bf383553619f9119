import Foundation

/// A process's resident memory in bytes (Linux `/proc/<pid>/statm`; this process by default), for
/// benchmarks.
func residentBytes(of pid: Int32? = nil) -> Int {
    let path = "/proc/\(pid.map(String.init) ?? "self")/statm"
    guard let statm = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
