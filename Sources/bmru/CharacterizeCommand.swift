import ArgumentParser
import BMRUModel
import Foundation
import Characterization
import Netlist
import Ngspice

struct Characterize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure emitted cells on the GF180MCU models: the FQ-BMRU hysteresis loop, weight-mirror gains, or a crossbar ramp-ADC activation.",
        subcommands: [CharacterizeCell.self, CharacterizeMirror.self, CharacterizeActivation.self])
}

struct CharacterizeCommon: ParsableArguments {
    @Option(help: "Process corner: typical, ff, ss, fs, sf.") var corner: Corner = .typical
    @Option(help: "Supply voltage, V.") var vdd: Double = 1.8
    @Option(help: "Temperature, °C.") var temp: Double = 27
    @Option(help: "Folder with design.ngspice and sm141064.ngspice.") var models: String?
    @Option(help: "Wall-clock limit for each simulation, seconds.") var timeout: Double = 300
    @Option(name: .output(alias: "json"), help: ArgumentHelp("Also write the measurements as JSON here.", valueName: "FILE.json")) var json: String?

    func deckOptions() throws -> DeckOptions {
        let dir = ModelFiles.directory(option: models)
        try ModelFiles.require(dir)
        if let json { try OutputPath.check(json, option: OutputOption.label) }
        guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
        return DeckOptions(corner: corner, vdd: vdd, temperature: temp, modelsDirectory: dir,
                           generatorVersion: ToolVersion.string)
    }

    func simulate(_ deck: String) throws -> [String: [Double]] {
        do {
            return try Simulator.shared.run(SimulationRequest(deck: deck, timeout: timeout)).vectors
        } catch let e as SimulationError {
            throw UsageFailure("simulation failed: \(e)")
        }
    }

    func writeJSON<T: Encodable>(_ value: T) throws {
        guard let json else { return }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try CLI.writeAtomically(try enc.encode(value) + Data("\n".utf8), to: ModelFiles.absolute(json), option: OutputOption.label)
    }
}

struct CharacterizeCell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cell",
        abstract: "Hysteresis loop of one emitted FQ-BMRU cell: switch-up/down currents, output level, static power.",
        discussion: """
        The input current is swept up from 0 and down from max(2·θ_high, θ_high + 0.5) units with DC sweeps \
        (the quasi-static limit of a slow ramp: each point starts from the previous one, so the sweep stays \
        on its branch of the loop). Thresholds are read at the cell's candidate probe i(vc_cell_0). \
        Repeat --unit-current to measure several unit currents.

        --ramp SECONDS also drives the cell with a transient ramp (a staircase of --ramp-steps stairs up over \
        SECONDS, then down again) and prints the thresholds as met in time and the switching delays.
        """)

    @Option(name: .customLong("theta-low"), help: "θ_low, units.") var thetaLow: Double
    @Option(name: .customLong("theta-high"), help: "θ_high, units.") var thetaHigh: Double
    @Option(help: "Output level, units.") var level: Double = 1
    @Option(name: .customLong("unit-current"), help: "Unit current, A (repeatable).") var unitCurrent: [Double] = [1e-9]
    @Option(help: "Sweep points per direction.") var points: Int = 1000
    @Option(help: "Also run a transient ramp lasting this many seconds per direction (e.g. 1).") var ramp: Double?
    @Option(name: .customLong("ramp-steps"), help: "Stairs per direction of the --ramp staircase.") var rampSteps: Int = 400
    @OptionGroup var common: CharacterizeCommon

    func run() throws {
        try CLI.guarded {
            guard thetaLow >= 0, thetaHigh >= thetaLow, level >= 0, thetaHigh > 0 else {
                throw UsageFailure("need 0 ≤ θ_low ≤ θ_high, θ_high > 0 and level ≥ 0")
            }
            guard unitCurrent.allSatisfy({ $0 > 1e-15 && $0 <= 1e-3 }) else {
                throw UsageFailure("--unit-current must be in (1e-15, 1e-3] A")
            }
            guard (10...100_000).contains(points) else { throw UsageFailure("--points must be in 10...100000") }
            if let r = ramp, !(r >= 1e-4 && r <= 100) { throw UsageFailure("--ramp must be in [1e-4, 100] s") }
            guard (10...5000).contains(rampSteps) else { throw UsageFailure("--ramp-steps must be in 10...5000") }
            let opts = try common.deckOptions()
            var results: [CellMeasurement] = []
            print("corner \(common.corner.rawValue), VDD \(common.vdd) V, \(common.temp) °C; requested θ_low \(thetaLow), θ_high \(thetaHigh), level \(level) (units)")
            print(row(["I_unit", "switch-up (err)", "switch-down (err)", "level on (err)", "level off", "P_on nW", "P_off nW"]))
            for iu in unitCurrent {
                CLI.stderr("characterize cell: I_unit \(iu) A ...")
                let d = try CellBench.decks(thetaLow: thetaLow, thetaHigh: thetaHigh, level: level, unitCurrent: iu,
                                            options: opts, points: points)
                let up = try common.simulate(d.up), down = try common.simulate(d.down)
                let m: CellMeasurement
                do {
                    m = try CellBench.analyze(up: up, down: down, thetaLow: thetaLow, thetaHigh: thetaHigh, level: level,
                                              unitCurrent: iu, vdd: common.vdd)
                } catch let e as CharacterizationError { throw UsageFailure(e.reason) }
                var measured = m
                if let r = ramp {
                    CLI.stderr("characterize cell: I_unit \(iu) A, transient ramp \(r) s per direction ...")
                    let rd = try CellBench.rampDeck(thetaLow: thetaLow, thetaHigh: thetaHigh, level: level, unitCurrent: iu,
                                                    options: opts, rampSeconds: r, steps: rampSteps)
                    let v = try common.simulate(rd.deck)
                    do {
                        measured.ramp = try CellBench.analyzeRamp(v, stairs: rd.stairs, stairSeconds: rd.stairSeconds, steps: rampSteps,
                                                                  unitCurrent: iu, vdd: common.vdd, quasiStatic: m)
                    } catch let e as CharacterizationError { throw UsageFailure(e.reason) }
                }
                results.append(measured)
                func pct(_ x: Double) -> String { String(format: "%+.1f%%", 100 * x) }
                print(row([String(format: "%.3g A", iu),
                           "\(String(format: "%.4f", m.switchUp)) (\(pct(m.switchUpError)))",
                           "\(String(format: "%.4f", m.switchDown)) (\(thetaLow == 0 ? "abs" : pct(m.switchDownError)))",
                           "\(String(format: "%.4f", m.levelOn)) (\(pct(m.levelError)))",
                           String(format: "%.2e", m.levelOff),
                           String(format: "%.3f", m.powerOnW * 1e9),
                           String(format: "%.3f", m.powerOffW * 1e9)]))
            }
            if let r = ramp {
                print("transient ramp, \(r) s per direction in \(rampSteps) stairs (input resolution \(String(format: "%.4f", CellBench.top(thetaHigh: thetaHigh) / Double(rampSteps))) units):")
                print(row(["I_unit", "switch-up (err)", "switch-down (err)", "up delay", "down delay", "level on", "level off"]))
                for m in results {
                    guard let rm = m.ramp else { continue }
                    func pct(_ x: Double, _ target: Double) -> String { target == 0 ? "abs" : String(format: "%+.1f%%", 100 * (x / target - 1)) }
                    print(row([String(format: "%.3g A", m.unitCurrentA),
                               "\(String(format: "%.4f", rm.switchUp)) (\(pct(rm.switchUp, thetaHigh)))",
                               "\(String(format: "%.4f", rm.switchDown)) (\(pct(rm.switchDown, thetaLow)))",
                               String(format: "%.3g s", rm.upDelaySeconds), String(format: "%.3g s", rm.downDelaySeconds),
                               String(format: "%.4f", rm.levelOn), String(format: "%.2e", rm.levelOff)]))
                }
            }
            print("(thresholds at the candidate probe; P = cell comparator + level copy + its 3 references at VDD;")
            print(String(format: " the shared bias generator adds %.3f nW per deck at the last I_unit)", (results.last?.sharedBiasPowerW ?? 0) * 1e9))
            try common.writeJSON(results)
        }
    }
}

/// One table row, columns padded to fixed widths.
func row(_ cells: [String]) -> String {
    let widths = [10, 19, 19, 19, 10, 9, 9]
    return zip(cells, widths + Array(repeating: 10, count: max(0, cells.count - widths.count))).map { c, w in
        c.count >= w ? c + " " : c + String(repeating: " ", count: w - c.count)
    }.joined()
}

struct CharacterizeMirror: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Gain of emitted weight mirrors (positive and negative path) against the width ratio.",
        discussion: "Repeat --ratio and --current for a table. Ratios below the minimum weight are realised as documented in the mapping.")

    @Option(help: "Weight (width ratio), > 0 (repeatable).") var ratio: [Double] = [0.1, 0.15, 0.25, 0.5, 1, 2, 3, 4]
    @Option(help: "Input current, A (repeatable).") var current: [Double] = [1e-9]
    @OptionGroup var common: CharacterizeCommon

    func run() throws {
        try CLI.guarded {
            guard ratio.allSatisfy({ $0 > 0 && $0 <= 64 && $0.isFinite }) else { throw UsageFailure("--ratio must be in (0, 64]") }
            guard current.allSatisfy({ $0 > 1e-15 && $0 <= 1e-3 }) else { throw UsageFailure("--current must be in (1e-15, 1e-3] A") }
            let opts = try common.deckOptions()
            var results: [MirrorMeasurement] = []
            print("corner \(common.corner.rawValue), VDD \(common.vdd) V, \(common.temp) °C")
            print("current    ratio   realised  fingers x W(um)   gain+      err+     gain-      err-")
            for i in current {
                for r in ratio {
                    let v = try common.simulate(try MirrorBench.deck(ratio: r, current: i, options: opts))
                    let m: MirrorMeasurement
                    do { m = try MirrorBench.analyze(v, ratio: r, current: i) } catch let e as CharacterizationError {
                        throw UsageFailure(e.reason)
                    }
                    results.append(m)
                    print(String(format: "%-10.3g %-7.3g %-9.4f %2d x %-11.3f %-10.4f %+6.2f%%  %-10.4f %+6.2f%%",
                                 i, r, m.realizedRatio, m.fingers, m.fingerWidthUm, m.positiveGain, 100 * m.positiveError,
                                 m.negativeGain, 100 * m.negativeError))
                }
            }
            try common.writeJSON(results)
        }
    }
}
