// Writing output files and folders with POSIX calls, so that every failure names the path and the errno reason
// (No space left on device, Read-only file system, ...) and never leaves a partial result in place.

import BMRUKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// the C calls, outside the types whose methods share their names
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func posixRename(_ a: String, _ b: String) -> Int32 { rename(a, b) }

/// Plain file-system operations that throw `FormatError(kind: .io)` naming the path and strerror(errno).
public enum FileOutput {
    /// strerror text of an errno value
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Creates (or truncates) `path` and writes `data`; on failure the partial file is removed.
    public static func write(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FormatError(file: path, field: "", reason: "cannot create the file: \(reason(errno))", kind: .io)
        }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = posixWrite(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                left -= n
                p = p.advanced(by: n)
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            unlink(path)
            throw FormatError(file: path, field: "", reason: "cannot write: \(reason(failure))", kind: .io)
        }
    }

    /// `mkdir -p`: creates the folder and its missing parents. An existing path that is not a folder is an error.
    public static func makeDirectory(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw FormatError(file: path, field: "", reason: "exists and is not a folder", kind: .io)
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeDirectory(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FormatError(file: path, field: "", reason: "cannot create the folder: \(reason(errno))", kind: .io)
        }
    }

    /// Removes a file or a folder with everything in it (errors ignored: used to clean up).
    public static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Renames `from` to `to` (one step); errors name `to`.
    public static func rename(_ from: String, to: String) throws {
        if posixRename(from, to) != 0 {
            throw FormatError(file: to, field: "", reason: "cannot rename \(from) into place: \(reason(errno))", kind: .io)
        }
    }
}

extension AtomicWrite {
    /// Writes several files so that they appear together: every file goes to a temporary name beside its
    /// target first; only when all are complete are they renamed into place (a failure removes them all and
    /// leaves the old files untouched).
    public static func writeTogether(_ files: [(path: String, data: Data)]) throws {
        var temporaries: [(String, String)] = []
        do {
            for f in files {
                let url = URL(fileURLWithPath: f.path)
                let dir = url.deletingLastPathComponent().path
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                    throw FormatError(file: f.path, field: "", reason: "cannot write: folder \(dir) does not exist", kind: .io)
                }
                let tmp = dir + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                temporaries.append((tmp, f.path))
                do {
                    try FileOutput.write(f.data, to: tmp)
                } catch let e as FormatError {
                    throw FormatError(file: f.path, field: "", reason: e.reason + " (writing \(tmp))", kind: .io)
                }
            }
            for (tmp, path) in temporaries { try FileOutput.rename(tmp, to: path) }
        } catch {
            for (tmp, _) in temporaries { unlink(tmp) }
            throw error
        }
    }
}

/// A folder written as a whole: every file goes into `.NAME.tmp-<pid>` beside the target, which is renamed into
/// place only when complete. An existing target is replaced in the same step (Linux: an exchange of the two
/// names) and only after the new folder is complete, so a failed run leaves the old folder as it was and no
/// partial files; a run killed midway leaves only the hidden temporary folder (removed by the next run).
public enum AtomicFolder {
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).tmp-\(getpid())"
    }

    /// Writes the folder `path`: `body` gets the temporary folder to fill. `replaceable`: the names an existing
    /// folder may hold for it to be replaced (the files this command writes); a folder holding anything else is
    /// refused, so that `--out` pointing at a folder of other files never deletes them.
    ///
    /// A target that is a mount point (a container's volume) or whose parent cannot be written cannot be
    /// replaced by a rename: then the files are written into `DIR/.bmru-tmp-<pid>/` and moved into DIR one by
    /// one once all are complete, the names in `last` last (after the old ones were removed first), so a failed
    /// run still leaves no partial file and no `last` file (junit.xml) beside an incomplete report.
    public static func write(_ path: String, replaceable: Set<String>, last: [String] = [],
                             _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path).standardized
        let target = url.path
        let parent = url.deletingLastPathComponent().path
        let exists = try checkReplaceable(target, replaceable: replaceable)
        if exists && (isMountPoint(target) || access(parent, W_OK) != 0) {
            try writeInPlace(target, replaceable: replaceable, last: last, body)
            return
        }
        try FileOutput.makeDirectory(parent)
        removeStaleTemporaries(parent: parent, name: url.lastPathComponent)
        let tmp = temporaryPath(for: target)
        FileOutput.removeTree(tmp)
        if mkdir(tmp, 0o755) != 0 {
            throw FormatError(file: target, field: "", reason: "cannot create the temporary folder \(tmp): \(FileOutput.reason(errno))", kind: .io)
        }
        try cleaningUp(tmp, target: target) {
            try body(tmp)
            if exists {
                if bmru_rename_exchange(tmp, target) == 0 {
                    FileOutput.removeTree(tmp)   // now the old folder
                    return
                }
                // no exchange on this file system: move the old folder aside, the new one in, then drop the old one
                let old = parent + "/.\(url.lastPathComponent).old-\(getpid())"
                FileOutput.removeTree(old)
                try FileOutput.rename(target, to: old)
                do {
                    try FileOutput.rename(tmp, to: target)
                } catch {
                    _ = posixRename(old, target)
                    throw error
                }
                FileOutput.removeTree(old)
            } else {
                try FileOutput.rename(tmp, to: target)
            }
        }
    }

    /// Runs `body`; when it fails, removes the temporary folder `tmp` and names the folder the user asked for
    /// (and the file that failed) in the error.
    static func cleaningUp(_ tmp: String, target: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as FormatError {
            FileOutput.removeTree(tmp)
            throw FormatError(file: target, field: "", reason: e.file == target ? e.reason : "not written: \(e.description)", kind: .io)
        } catch {
            FileOutput.removeTree(tmp)
            throw error
        }
    }

    static func isMountPoint(_ path: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(path, &a) == 0, stat(path + "/..", &b) == 0 else { return false }
        return a.st_dev != b.st_dev || a.st_ino == b.st_ino
    }

    /// The folder itself cannot be renamed: a temporary folder inside it, then one rename per file.
    static func writeInPlace(_ target: String, replaceable: Set<String>, last: [String], _ body: (String) throws -> Void) throws {
        let tmp = target + "/.bmru-tmp-\(getpid())"
        FileOutput.removeTree(tmp)
        if mkdir(tmp, 0o755) != 0 {
            throw FormatError(file: target, field: "", reason: "cannot create the temporary folder \(tmp): \(FileOutput.reason(errno))", kind: .io)
        }
        try cleaningUp(tmp, target: target) {
            try body(tmp)
            let names = try FileManager.default.contentsOfDirectory(atPath: tmp)
            // the old report goes first, its `last` files before anything else
            let old = ((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).filter { replaceable.contains($0) }
            for name in last where old.contains(name) { unlink(target + "/" + name) }
            for name in old where !names.contains(name) { unlink(target + "/" + name) }
            let ordered = names.filter { !last.contains($0) }.sorted() + last.filter(names.contains)
            for name in ordered { try FileOutput.rename(tmp + "/" + name, to: target + "/" + name) }
            rmdir(tmp)
        }
    }

    /// Whether `path` exists (then as a folder holding only `replaceable` names); throws when it cannot be
    /// replaced. Commands call it before their work, so that a refused folder costs no simulation.
    @discardableResult
    public static func checkReplaceable(_ path: String, replaceable: Set<String>) throws -> Bool {
        let target = URL(fileURLWithPath: path).standardized.path
        var st = stat()
        guard lstat(target, &st) == 0 else {
            if errno == ENOENT { return false }
            throw FormatError(file: target, field: "", reason: "cannot use the folder: \(FileOutput.reason(errno))", kind: .io)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw FormatError(file: target, field: "", reason: "exists and is not a folder", kind: .io)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        for name in names where name.hasPrefix(".bmru-tmp-") {
            // an in-place temporary folder of a killed run
            if let pid = pid_t(name.dropFirst(10)), pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH {
                FileOutput.removeTree(target + "/" + name)
            }
        }
        let foreign = names.filter { !replaceable.contains($0) && !$0.hasPrefix(".bmru-tmp-") }.sorted()
        if !foreign.isEmpty {
            let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? ", …" : "")
            throw FormatError(file: target, field: "",
                              reason: "the folder holds files this command does not write (\(shown)); it would be replaced as a whole: choose another folder or remove them",
                              kind: .io)
        }
        return true
    }

    /// `.NAME.tmp-<pid>` / `.NAME.old-<pid>` of processes that no longer run (a killed run).
    static func removeStaleTemporaries(parent: String, name: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
            for marker in [".\(name).tmp-", ".\(name).old-"] where entry.hasPrefix(marker) {
                guard let pid = pid_t(entry.dropFirst(marker.count)), pid != getpid() else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH { FileOutput.removeTree(parent + "/" + entry) }
            }
        }
    }
}

/// The lifetime of a child process bound to its parent's.
public enum ProcessLifetime {
    /// Makes this process receive SIGKILL when `parent` ends (Linux PR_SET_PDEATHSIG), and ends it now when
    /// `parent` is already gone (the parent died before the call). Returns false where the call is missing.
    /// A thread also checks getppid() five times a second (where the call is missing, and because the kernel
    /// sends the signal when the parent's spawning thread ends, not only the process).
    @discardableResult
    public static func dieWithParent(_ parent: pid_t) -> Bool {
        let ok = bmru_set_parent_death_signal(SIGKILL) == 0
        if getppid() != parent { _exit(137) }
        let watcher = Thread {
            while true {
                usleep(200_000)
                if getppid() != parent { _exit(137) }
            }
        }
        watcher.stackSize = 64 << 10
        watcher.start()
        return ok
    }
}
