import BMRUModel
import Foundation
import Netlist
import Ngspice
import TestSupport
import Testing

/// Real ngspice on the real GF180MCU models.
@Suite("Emitted circuits in ngspice")
struct CircuitTests {
    func options(analysis: DeckAnalysis = .transient) throws -> DeckOptions {
        DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory(), analysis: analysis)
    }

    func run(_ deck: String) throws -> SimulationResult {
        try Simulator.shared.run(SimulationRequest(deck: deck, timeout: 300))
    }

    /// The hysteresis loop of the emitted cell: thresholds and level within ±5 % of the request
    /// (the issue's target), over unit currents 0.1-2 nA and a hysteresis width of 0.1 units.
    @Test("cell hysteresis loop within ±5 %", arguments: [
        (1e-9, 0.4, 0.5, 1.0), (1e-10, 0.2, 0.3, 0.5), (2e-9, 1.4, 1.5, 2.0),
    ])
    func cellLoop(_ c: (Double, Double, Double, Double)) throws {
        let (iu, lo, hi, lv) = c
        let d = try CellBench.decks(thetaLow: lo, thetaHigh: hi, level: lv, unitCurrent: iu, options: try options(), points: 400)
        let up = try run(d.up).vectors, down = try run(d.down).vectors
        let m = try CellBench.analyze(up: up, down: down, thetaLow: lo, thetaHigh: hi, level: lv, unitCurrent: iu, vdd: 1.8)
        #expect(abs(m.switchUp / hi - 1) < 0.05, "switch-up \(m.switchUp) for θ_high \(hi) at \(iu) A")
        #expect(abs(m.switchDown / lo - 1) < 0.05, "switch-down \(m.switchDown) for θ_low \(lo) at \(iu) A")
        #expect(abs(m.levelOn / lv - 1) < 0.05, "level \(m.levelOn) for \(lv) at \(iu) A")
        #expect(abs(m.levelOff) < 0.01 * lv, "output with s = 0: \(m.levelOff)")
        // the loop is a loop: up above down by most of the requested width
        #expect(m.switchUp - m.switchDown > 0.8 * (hi - lo))
        if iu == 1e-9 {
            // target: at most 5 nW per cell at 1 nA (here θ_high 0.5, level 1, s = 1)
            #expect(m.powerOnW < 5e-9, "cell power \(m.powerOnW) W")
            #expect(m.powerOffW < m.powerOnW)
        }
    }

    /// The slow transient ramp (the issue's "slow up-and-down ramp") measures the same loop as the DC sweep:
    /// within ±5 % of the request at 1 nA, and never earlier than the quasi-static threshold (a cell that
    /// needs time to slew can only switch later on a ramp: up at or above, down at or below, the DC values).
    @Test("a 1 s transient ramp traces the loop within ±5 %, switching no earlier than the DC sweep")
    func cellRamp() throws {
        let (iu, lo, hi, lv) = (1e-9, 0.3, 0.6, 1.0)
        let o = try options()
        let d = try CellBench.decks(thetaLow: lo, thetaHigh: hi, level: lv, unitCurrent: iu, options: o, points: 400)
        let dc = try CellBench.analyze(up: try run(d.up).vectors, down: try run(d.down).vectors, thetaLow: lo, thetaHigh: hi,
                                       level: lv, unitCurrent: iu, vdd: 1.8)
        let steps = 200
        let rd = try CellBench.rampDeck(thetaLow: lo, thetaHigh: hi, level: lv, unitCurrent: iu, options: o, rampSeconds: 0.5, steps: steps)
        #expect(rd.stairs.count == 2 * steps + 1 && rd.stairs[steps] == CellBench.top(thetaHigh: hi) && rd.stairs.last == 0)
        let r = try CellBench.analyzeRamp(try run(rd.deck).vectors, stairs: rd.stairs, stairSeconds: rd.stairSeconds, steps: steps,
                                          unitCurrent: iu, vdd: 1.8, quasiStatic: dc)
        #expect(abs(r.switchUp / hi - 1) < 0.05, "ramp switch-up \(r.switchUp)")
        #expect(abs(r.switchDown / lo - 1) < 0.05, "ramp switch-down \(r.switchDown)")
        #expect(abs(r.levelOn / lv - 1) < 0.05 && abs(r.levelOff) < 0.01)
        // one stair of input is 1.2/200 = 0.006 units: allow half of it for reading the two methods differently
        #expect(r.switchUpInput >= dc.switchUpInput - 0.003, "ramp \(r.switchUpInput) vs DC \(dc.switchUpInput)")
        #expect(r.switchDownInput <= dc.switchDownInput + 0.003, "ramp \(r.switchDownInput) vs DC \(dc.switchDownInput)")
        // the response takes time but less than the ramp: positive and far below 0.5 s
        #expect(r.upDelaySeconds > 0 && r.upDelaySeconds < 0.05, "up delay \(r.upDelaySeconds)")
        #expect(r.downDelaySeconds > 0 && r.downDelaySeconds < 0.05, "down delay \(r.downDelaySeconds)")
    }

    /// Weight = width ratio: ratios 3, 0.5 (main bin, δW-corrected) and 0.1 (narrow bin, table-sized)
    /// copy 1 nA within 3 % on both paths.
    @Test("weight mirrors realise ratios 3, 0.5 and 0.1 within 3 %", arguments: [3.0, 0.5, 0.1])
    func mirror(ratio: Double) throws {
        let deck = try MirrorBench.deck(ratio: ratio, current: 1e-9, options: try options())
        let m = try MirrorBench.analyze(try run(deck).vectors, ratio: ratio, current: 1e-9)
        #expect(abs(m.positiveGain / ratio - 1) < 0.03, "positive path gain \(m.positiveGain)")
        #expect(abs(m.negativeGain / ratio - 1) < 0.03, "negative path gain \(m.negativeGain)")
    }

    /// Two cells (θ_low 0.3, θ_high 0.6), identity weights, through hold, set and reset:
    ///   frame  x0    x1    -> s0 s1   (initial state 0, 1)
    ///   0      0.45  0.45     0  1    both inside the band: hold the initial states
    ///   1      0.8   0.1      1  0    set unit 0, reset unit 1
    ///   2      0.45  0.45     1  0    hold
    ///   3      0.1   0.9      0  1    reset 0, set 1
    ///   4      0.45  0.45     0  1    hold
    ///   5      0     0        0  0    reset 1
    /// Outputs level·s with levels 1 and 0.5.
    @Test("two-unit network follows a hand-worked sequence through hold, set and reset")
    func handWorkedSequence() throws {
        let net = Network(name: "seq", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
            Layer(name: "cells", kind: .bmru, weights: [[1, 0], [0, 1]], bias: [0, 0],
                  thetaLow: [0.3, 0.3], thetaHigh: [0.6, 0.6], level: [1.0, 0.5], initialState: [0, 1]),
        ])
        let x: [[Double]] = [[0.45, 0.45], [0.8, 0.1], [0.45, 0.45], [0.1, 0.9], [0.45, 0.45], [0, 0]]
        let want: [[Int]] = [[0, 1], [1, 0], [1, 0], [0, 1], [0, 1], [0, 0]]
        let stim = Stimulus(frames: x, inputs: 2)
        // the hand-worked states are also what the ideal model says
        let model = IdealModel(network: net).run(stim)
        #expect(model.layers[0].states == want)

        let deck = try DeckEmitter.emit(network: net, stimulus: stim, options: try options())
        let r = try run(deck.text)
        let t = try #require(r.vector("time"))
        for k in 0..<x.count {
            let tEnd = Double(k + 1) * 0.01 * 0.998
            let n = t.firstIndex { $0 >= tEnd } ?? t.count - 1
            for u in 0..<2 {
                let s = try #require(r.vector("v(s_cells_\(u))"))[n]
                let out = try #require(r.vector("i(vo_cells_\(u))"))[n] / 1e-9
                let bit = s > 0.9 ? 1 : 0
                #expect(bit == want[k][u], "frame \(k) unit \(u): state \(s) V")
                let level = u == 0 ? 1.0 : 0.5
                let expected = Double(want[k][u]) * level
                #expect(abs(out - expected) < 0.05 * level, "frame \(k) unit \(u): output \(out) units, expected \(expected)")
                // rail to rail
                #expect(s < 0.15 || s > 1.7, "frame \(k) unit \(u): state node at \(s) V is not at a rail (low sits one degeneration-diode V_GS at leakage, ~0.1 V)")
            }
        }
    }

    /// `ngspice -b DECK.sp` alone runs the emitted deck, writes the raw file and warns about nothing.
    @Test("emitted decks run standalone under ngspice -b without warnings")
    func standalone() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("standalone")
        var o = try options()
        var decks: [(String, Network, Stimulus?)] = [("small", Nets.small(), Nets.smallStimulus)]
        // and every example network shipped with the project (one frame, zero inputs: a parse-and-run check)
        let examples = TestEnvironment.packageRoot.appendingPathComponent("examples").path
        for f in ((try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []).sorted() where f.hasSuffix(".json") {
            if let net = try? NetworkFile.load(path: examples + "/" + f) { decks.append((String(f.dropLast(5)), net, nil)) }
        }
        for (name, net, stim) in decks {
            o.rawPath = dir + "/\(name).raw"
            let d = try DeckEmitter.emit(network: net, stimulus: stim, options: o)
            try d.text.write(toFile: dir + "/\(name).sp", atomically: true, encoding: .utf8)
            let r = try TestEnvironment.run(ngspice, ["-b", dir + "/\(name).sp"], cwd: dir)
            #expect(r.status == 0, "\(name): ngspice exit \(r.status)\n\(r.stderr.suffix(800))")
            let text = (r.stdout + "\n" + r.stderr).lowercased()
            // convergence-aid notes ("warning: further gmin increment" while finding the operating point of
            // a deck with all inputs at 0) are not problems with the deck; parameter and model warnings are
            let lines = text.split(separator: "\n").filter { !$0.contains("gmin") }.joined(separator: "\n")
            for bad in ["unknown parameter", "unknown model", "unrecognized", "error", "can't find", "not found", "parameter"]
            where lines.contains(bad) {
                Issue.record("\(name): ngspice said '\(bad)':\n\(lines.split(separator: "\n").filter { $0.contains(bad) }.prefix(5).joined(separator: "\n"))")
            }
            let warnings = lines.split(separator: "\n").filter { $0.contains("warning") }
            #expect(warnings.isEmpty, "\(name): \(warnings.prefix(5).joined(separator: "\n"))")
            let raw = FileManager.default.contents(atPath: dir + "/\(name).raw")
            #expect((raw?.count ?? 0) > 1000, "\(name): no raw file written")
        }
    }

    @Test("`bmru netlist` into a folder whose path has a space: the deck runs standalone from its folder")
    func folderWithSpace() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("space") + "/my decks"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let examples = TestEnvironment.packageRoot.appendingPathComponent("examples").path
        let r = try TestEnvironment.run(try TestEnvironment.bmruExecutable(),
                                        ["netlist", examples + "/tiny.json", "--input", examples + "/tiny.csv", "-o", dir + "/tiny.sp"],
                                        environment: ["BMRU_MODELS": try TestEnvironment.modelsDirectory()])
        #expect(r.status == 0, "\(r.stderr)")
        let deck = try String(contentsOfFile: dir + "/tiny.sp", encoding: .utf8)
        #expect(deck.contains("\nwrite tiny.raw\n"))
        let run = try TestEnvironment.run(ngspice, ["-b", "tiny.sp"], cwd: dir)
        #expect(run.status == 0, "\(run.stderr.suffix(500))")
        #expect((FileManager.default.contents(atPath: dir + "/tiny.raw")?.count ?? 0) > 1000)
    }
}
