// Helpers shared by the fuzz targets.

import Foundation

public enum Fuzz {
    /// The input bytes as Data (copied: the parsers may keep them).
    public static func data(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Data {
        count == 0 ? Data() : Data(bytes: bytes, count: count)
    }

    /// The repository's examples/ folder (BMRU_FUZZ_EXAMPLES overrides it): batch manifests name the example
    /// network and stimulus files relative to their own folder, so inputs are parsed as if they lived there.
    public static let examplesDirectory: String = {
        if let e = ProcessInfo.processInfo.environment["BMRU_FUZZ_EXAMPLES"], !e.isEmpty { return e }
        // this file is fuzz/Sources/FuzzSupport/FuzzSupport.swift
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples").path
    }()

    /// A private scratch folder for parsers that only take a path (removed at exit is not guaranteed:
    /// it lives under /dev/shm or $TMPDIR and holds one small file).
    public static let scratchDirectory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm"
            : (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
        let dir = base + "/bmru-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Fuzz.scratchDirectory) }
        return dir
    }()

    /// Writes the input to `scratchDirectory/name` and returns the path.
    public static func scratchFile(_ data: Data, name: String) -> String {
        let path = scratchDirectory + "/" + name
        if !FileManager.default.createFile(atPath: path, contents: data) {
            fatalError("fuzz harness: cannot write the scratch file \(path)")
        }
        return path
    }
}
