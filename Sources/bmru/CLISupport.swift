import ArgumentParser
import BMRUModel
import Batch
import Foundation
import KWS
import Netlist

/// An error the CLI reports as one line on stderr with exit status 2 (invalid input, failed simulation).
struct UsageFailure: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

enum CLI {
    /// Runs `body`; maps thrown errors to one stderr line and exit status 2.
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as ExitCode {
            throw e
        } catch let e as CleanExit {
            throw e
        } catch {
            FileHandle.standardError.write(Data(("error: " + String(describing: error) + "\n").utf8))
            throw ExitCode(2)
        }
    }

    static func readText(_ path: String, what: String) throws -> String {
        let data: Data
        do { data = try InputFile.read(path, limit: 1 << 30) } catch let e as FormatError {
            throw UsageFailure("\(path): \(what) file \(e.reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UsageFailure("\(path): \(what) file is not UTF-8 text")
        }
        return text
    }

    /// Writes `data` to `path` atomically: a temporary file beside it, then a rename. Missing folders above
    /// it are created first (`OutputPath.makeParent`). Errors name the path and the errno reason.
    static func writeAtomically(_ data: Data, to path: String, option: String) throws {
        try OutputPath.makeParent(path, option: option)
        try AtomicWrite.write(data, to: path)
    }

    static func writeAtomically(_ text: String, to path: String, option: String) throws {
        try writeAtomically(Data(text.utf8), to: path, option: option)
    }

    /// Several files that appear together or not at all (`AtomicWrite.writeTogether`), their folders created.
    static func writeTogether(_ files: [(path: String, data: Data)], option: String) throws {
        for f in files { try OutputPath.makeParent(f.path, option: option) }
        try AtomicWrite.writeTogether(files)
    }

    /// The network (and stimulus) against the circuit's operating range: warnings go to stderr, errors too,
    /// then exit status 2. Each line names the file the field belongs to.
    /// `TrainedRange`'s warnings follow `OperatingRange`'s findings.
    static func checkOperatingRange(_ net: Network, file: String, stimulus: Stimulus? = nil, stimulusFile: String? = nil) throws {
        let findings = OperatingRange.gf180mcu.check(net, stimulus: stimulus)
        for f in findings {
            let where_ = f.isStimulus ? (stimulusFile ?? file) : file
            stderr("\(f.severity == .error ? "error" : "warning"): \(where_): \(f.field): \(f.reason)")
        }
        for w in TrainedRange.check(net) { stderr("warning: \(file): \(w.field): \(w.reason)") }
        if findings.contains(where: { $0.severity == .error }) { throw ExitCode(2) }
    }

    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// The lower ends of the characterised range that `OperatingRange` does not check (it warns about |w| > 4 and
/// θ_high, level > 4 units): thresholds below 0.1 units, which the trainer never produces (`bmru train` keeps
/// θ_low, θ_high and level in [0.1, 3], `TrainerConfig.thetaMin`) and below the cell grid's smallest θ_high
/// (0.1 units, `CalibrationBench.thetaGrid`), and a level of 0 (outside (0, 4]: the grid's levels are 0.1–4
/// units; such a cell never drives its outputs). Warnings only: the circuit is still built.
enum TrainedRange {
    struct Warning: Equatable { var field: String; var reason: String }

    static let minTheta = TrainerConfig().thetaMin
    static let maxLevel = OperatingRange.gf180mcu.characterisedCurrentUnits

    static func check(_ net: Network, limit: Int = 50) -> [Warning] {
        var out: [Warning] = []
        func warn(_ f: String, _ r: String) { if out.count < limit { out.append(Warning(field: f, reason: r)) } }
        let lo = NumberText.spice(minTheta)
        for (k, l) in net.layers.enumerated() where l.kind == .bmru {
            for (name, values) in [("theta_low", l.thetaLow ?? []), ("theta_high", l.thetaHigh ?? [])] {
                for (j, v) in values.enumerated() where v.isFinite && v < minTheta {
                    warn("layers[\(k)].\(name)[\(j)]", "is \(NumberText.spice(v)) units, below the characterised \(lo) units (the trainer keeps θ ≥ \(lo); the cell grid starts at θ_high \(lo))")
                }
            }
            for (j, v) in (l.level ?? []).enumerated() where v.isFinite && v <= 0 {
                warn("layers[\(k)].level[\(j)]", "is \(NumberText.spice(v)) units, outside the characterised (0, \(NumberText.spice(maxLevel))] units: the cell never drives its outputs")
            }
        }
        return out
    }
}

/// The folder an output file goes into: created when missing (`mkdir -p`), so `-o new/sub/x.sp` works as
/// `--out new/sub/DIR` does for the commands that write folders. A path whose nearest existing ancestor is not
/// a folder is refused naming that ancestor and the option.
enum OutputPath {
    /// Refuses `path` when the nearest existing ancestor of its folder is not a folder (before any work is done;
    /// nothing is created).
    static func check(_ path: String, option: String) throws {
        var dir = URL(fileURLWithPath: ModelFiles.absolute(path)).deletingLastPathComponent().path
        while true {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
                guard isDir.boolValue else {
                    throw UsageFailure("\(path): \(option): cannot create the folder for this output: \(dir) exists and is not a folder")
                }
                return
            }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent.isEmpty || parent == dir { return }
            dir = parent
        }
    }

    /// A folder to write into (`--out DIR` of a command that fills a folder): created with its missing parents;
    /// refused when it, or its nearest existing ancestor, is not a folder.
    static func makeFolder(_ dir: String, option: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: ModelFiles.absolute(dir), isDirectory: &isDir), !isDir.boolValue {
            throw UsageFailure("\(dir): \(option): exists and is not a folder")
        }
        try makeParent(ModelFiles.absolute(dir) + "/.", option: option)
    }

    /// Creates the missing folders above `path` (after `check`); errors name the path, the option and the reason.
    static func makeParent(_ path: String, option: String) throws {
        try check(path, option: option)
        let dir = URL(fileURLWithPath: ModelFiles.absolute(path)).deletingLastPathComponent().path
        do { try FileOutput.makeDirectory(dir) } catch let e as FormatError {
            throw UsageFailure("\(path): \(option): cannot create the folder for this output: \(e)")
        }
    }
}

/// The one spelling of a command's output option: `-o` / `--out`, plus the command's earlier long spelling
/// (`--output`, `--csv`, `--json`) kept working as an alias.
extension NameSpecification {
    static func output(alias: String? = nil) -> NameSpecification {
        var names: [NameSpecification.Element] = [.customShort("o"), .customLong("out")]
        if let alias { names.append(.customLong(alias)) }
        return NameSpecification(names)
    }
}

/// The name errors give the output option.
enum OutputOption {
    static let label = "-o/--out"
}

/// Where the GF180MCU model files are: `--models`, else $BMRU_MODELS, else ./models/gf180mcu,
/// else models/gf180mcu beside the executable's package checkout.
enum ModelFiles {
    static let names = ["design.ngspice", "sm141064.ngspice"]
    static let fixCommand = "make models   (or point BMRU_MODELS / --models at a folder holding design.ngspice and sm141064.ngspice)"

    static func directory(option: String?) -> String {
        if let o = option, !o.isEmpty { return absolute(o) }
        if let e = ProcessInfo.processInfo.environment["BMRU_MODELS"], !e.isEmpty { return absolute(e) }
        let local = absolute("models/gf180mcu")
        if FileManager.default.fileExists(atPath: local + "/sm141064.ngspice") { return local }
        // .build/<config>/bmru -> package root
        var dir = executableDirectory()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("models/gf180mcu").path
            if FileManager.default.fileExists(atPath: candidate + "/sm141064.ngspice") { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return local
    }

    /// The folder of this executable, symlinks resolved: by /proc/self/exe, since arguments[0] is only a name when
    /// bmru was found on PATH (as in a Slurm job script).
    static func executableDirectory() -> URL {
        URL(fileURLWithPath: BatchWorkerCommand.currentExecutable()).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Throws a one-line error naming what is missing and the command that fixes it.
    static func require(_ dir: String) throws {
        for n in names where !FileManager.default.isReadableFile(atPath: dir + "/" + n) {
            throw UsageFailure("model file \(dir)/\(n) is missing; run: \(fixCommand)")
        }
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardized.path
    }

    /// The raw-file path a standalone deck writes (`ngspice -b DECK.sp`). ngspice's `write` takes its path
    /// unquoted, so a path with a space becomes the bare file name: the raw file then lands in the folder
    /// ngspice runs in (run it from the deck's folder). A file name that itself has a space stays refused.
    static func rawPath(_ absolute: String) -> String {
        absolute.contains(" ") ? URL(fileURLWithPath: absolute).lastPathComponent : absolute
    }

    /// Refuses an output path whose raw-file path the deck cannot hold, naming the output path (not the network).
    static func requireUsableOutput(_ output: String, option: String, rawPath: String) throws {
        guard DeckEmitter.isSafeRawPath(rawPath) else {
            throw UsageFailure("\(output): \(option): this output path cannot be used: the deck names its raw file \(rawPath) unquoted (ngspice's write), so the path must not be empty or contain quotes, control characters, shell characters ($ ` ; \\) or, in the file name, spaces")
        }
    }
}

/// Turns SIGINT and SIGTERM into a call on a background queue (once); used by `bmru batch` and `bmru train`.
final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var fired = false
    private let lock = NSLock()

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let first = !self.fired
                self.fired = true
                self.lock.unlock()
                if first { handler(sig) }
            }
            src.resume()
            sources.append(src)
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// The circuit's operating conditions, shared by the commands that emit a deck for them.
struct CircuitConditions: ParsableArguments {
    @Option(help: "Process corner: typical, ff, ss, fs, sf.") var corner: Corner = .typical
    @Option(help: "Supply voltage, V.") var vdd: Double = 1.8
    @Option(help: "Temperature, °C.") var temp: Double = 27
    @Option(help: "Folder with design.ngspice and sm141064.ngspice (default: $BMRU_MODELS or models/gf180mcu).")
    var models: String?
}

/// The folder of a resumable study (`bmru power`, `bmru noise`): new or empty, or, with --resume, one that holds
/// only the study's own `files` and was made with the same options (recorded in `optionsFile`). Creates it and
/// records the options.
enum StudyFolder {
    static func open(_ dir: String, command: String, files: Set<String>, optionsFile: String, options: String, resume: Bool) throws {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        if !existing.isEmpty {
            guard resume else { throw UsageFailure("\(dir): --out exists and is not empty (continue it with --resume, or choose a new folder)") }
            guard existing.allSatisfy({ files.contains($0) || $0 == optionsFile }) else {
                throw UsageFailure("\(dir): holds files bmru \(command) does not write; refusing to use it")
            }
            let earlier = (try? String(contentsOfFile: dir + "/" + optionsFile, encoding: .utf8)) ?? ""
            guard earlier == options else {
                throw UsageFailure("\(dir): was made with other options (\(earlier.trimmingCharacters(in: .newlines))); --resume needs the same ones")
            }
        }
        try FileOutput.makeDirectory(dir)
        try AtomicWrite.write(options, to: dir + "/" + optionsFile)
    }
}
