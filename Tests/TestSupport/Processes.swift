import Foundation

/// Processes as /proc shows them (Linux): for tests that check that workers come and go.
public enum Processes {
    /// The live (not zombie) children of `pid`, from /proc.
    public static func children(of pid: pid_t) -> [pid_t] {
        var out: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // after "(comm)": state, ppid, ...
            if fields.count > 1, fields[0] != "Z", pid_t(fields[1]) == pid { out.append(child) }
        }
        return out
    }

    /// The process's arguments (from /proc/PID/cmdline); empty while unknown.
    public static func arguments(of pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    public static func alive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.first != "Z" && fields.first != "X"
    }
}
