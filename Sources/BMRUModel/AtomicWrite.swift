// Writing output files so that a failure never leaves a half-written file behind.

import Foundation

public enum AtomicWrite {
    /// Writes `data` to a temporary file in the same directory, then renames it over `path`.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw FormatError(file: path, field: "", reason: "cannot write: directory \(dir.path) does not exist", kind: .io)
        }
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileOutput.write(data, to: tmp.path)
        } catch let e as FormatError {
            throw FormatError(file: path, field: "", reason: "\(e.reason) (writing \(tmp.path))", kind: .io)
        }
        if rename(tmp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw FormatError(file: path, field: "", reason: "cannot write: \(reason)", kind: .io)
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
