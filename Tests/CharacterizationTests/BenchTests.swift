import BMRUModel
import Foundation
import Characterization
import Netlist
import Ngspice
import TestSupport
import Testing

/// The characterisation benches (Benches.swift) on real ngspice and the real GF180MCU models.
@Suite("Cell and mirror benches in ngspice")
struct BenchTests {
    func options(analysis: DeckAnalysis = .transient) throws -> DeckOptions {
        DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory(), analysis: analysis)
    }

    func run(_ deck: String) throws -> SimulationResult {
        try Simulator.shared.run(SimulationRequest(deck: deck, timeout: 300))
    }

    /// The hysteresis loop of the emitted cell: thresholds and level within ±5 % of the request
    /// (the target), over unit currents 0.1-2 nA and a hysteresis width of 0.1 units.
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

    /// The slow transient ramp (the "slow up-and-down ramp") measures the same loop as the DC sweep:
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
}
