import Foundation

/// Reading an input file the user named: one place that bounds its size and refuses what is not a regular
/// file (a folder, a device such as /dev/zero, a FIFO that would block forever), with a reason to show.
public enum InputFile {
    /// The whole file. Throws a `FormatError` (kind `.io` or `.limit`) naming `path`; callers with their own
    /// error type carry its `reason` over.
    public static func read(_ path: String, limit: Int) throws -> Data {
        let attrs: [FileAttributeKey: Any]
        do {
            attrs = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw FormatError(file: path, field: "", reason: exists ? "cannot read: not accessible" : "does not exist", kind: .io)
        }
        let type = attrs[.type] as? FileAttributeType
        if type == .typeDirectory {
            throw FormatError(file: path, field: "", reason: "is a directory, not a file", kind: .io)
        }
        if type != .typeRegular {
            throw FormatError(file: path, field: "", reason: "is not a regular file (a device, FIFO or socket)", kind: .io)
        }
        let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
        if size > limit {
            throw FormatError(file: path, field: "", reason: "file is \(size) bytes, more than the limit of \(limit)", kind: .limit)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FormatError(file: path, field: "", reason: "cannot read: \(FileOutput.reason(errno))", kind: .io)
        }
    }
}
