// The noise study's definitions on hand-made numbers (a known error in, a known ratio out), and device noise
// in a real ngspice run: the candidate currents carry the injected draws, the held states do not move.
import BMRUModel
import Batch
import CoSim
import Foundation
import Netlist
import TestSupport
import Testing

@Suite("Noise study: definitions")
struct NoiseStudyDefinitionTests {
    static func result(_ source: String, _ sigma: Double, pairs: Int, flips: Int, inSq: Double, outSq: Double, keptSq: Double) -> NoiseRunResult {
        NoiseRunResult(run: NoiseRun(id: "\(source)-\(sigma)", source: source, sigma: sigma, sample: 0, long: false),
                       layers: [.init(layer: "cell", pairs: pairs, flips: flips, input_sq: inSq, output_sq: outSq, output_sq_kept: keptSq)],
                       frame_error: nil, seconds: 1)
    }

    @Test("RMS, ratio and flip rate from the sums; samples of one (source, σ) pool their pairs")
    func cells() throws {
        // 100 pairs, every input error 0.1 (sum of squares 1.0), 99 kept pairs with output error 0.001 and one
        // flip with output error 1: output RMS √((99e-6 + 1)/100), kept RMS 0.001
        let a = Self.result("device", 0.1, pairs: 100, flips: 1, inSq: 1.0, outSq: 99e-6 + 1, keptSq: 99e-6)
        let rows = NoiseStudy.cells([a])
        #expect(rows.count == 1)
        let c = try #require(rows.first)
        #expect(abs(c.input_error_rms - 0.1) < 1e-12)
        #expect(abs(c.output_error_rms - ((99e-6 + 1) / 100).squareRoot()) < 1e-12)
        #expect(abs(c.ratio! - 0.1 / ((99e-6 + 1) / 100).squareRoot()) < 1e-9)   // ≈ 1: the flip dominates
        #expect(abs(c.output_error_rms_state_kept - 0.001) < 1e-12)
        #expect(abs(c.ratio_state_kept! - 100) < 1e-9)
        #expect(abs(c.flip_rate - 0.01) < 1e-12)
        // a second sample: pooled, not averaged per sample
        let b = Self.result("device", 0.1, pairs: 100, flips: 0, inSq: 4.0, outSq: 1e-4, keptSq: 1e-4)
        var b2 = b; b2.run.sample = 1; b2.run.id = "device-0.1-k1"
        let pooled = try #require(NoiseStudy.cells([a, b2]).first)
        #expect(pooled.samples == 2)
        #expect(abs(pooled.input_error_rms - (5.0 / 200).squareRoot()) < 1e-12)
        #expect(abs(pooled.flip_rate - 1.0 / 200) < 1e-12)
    }

    @Test("suppression: the state-kept ratio at the largest σ whose flip rate is ≤ 1 % in every layer, the all-pairs ratio beside it, and the flip-free σ")
    func suppression() {
        let rows = NoiseStudy.cells([
            Self.result("device", 0.05, pairs: 1000, flips: 0, inSq: 2.5, outSq: 2.5e-4, keptSq: 2.5e-4),     // ratio 100
            Self.result("device", 0.1, pairs: 1000, flips: 10, inSq: 10, outSq: 10.0, keptSq: 1e-3),           // 1 %: ratio 1
            Self.result("device", 0.2, pairs: 1000, flips: 50, inSq: 40, outSq: 50, keptSq: 1e-3),             // 5 %: out
            Self.result("input", 0.5, pairs: 1000, flips: 0, inSq: 250, outSq: 1e-3, keptSq: 1e-3),            // other source
        ])
        let s = NoiseStudy.suppression(rows, sources: [.input, .device])
        #expect(s.sigma == 0.1 && s.source == "device")
        // value: input RMS √(10/1000) = 0.1 over the kept pairs' output RMS √(1e-3/990)
        #expect(abs((s.value ?? 0) - 0.1 / (1e-3 / 990).squareRoot()) < 1e-9)
        #expect(abs((s.ratio_all_pairs ?? 0) - 1) < 1e-12)   // the 10 flips dominate: √(10/1000) / √(10/1000)
        #expect(s.flip_rate == 0.01)
        // no flip at all: σ 0.05, ratio √(2.5e-3) / √(2.5e-7) = 100
        #expect(s.flip_free_sigma == 0.05)
        #expect(abs((s.flip_free_value ?? 0) - 100) < 1e-9)
        // no σ within 1 %: undefined, and it says so
        let none = NoiseStudy.suppression(NoiseStudy.cells([Self.result("device", 0.2, pairs: 10, flips: 5, inSq: 1, outSq: 1, keptSq: 0)]),
                                          sources: [.device])
        #expect(none.value == nil && none.definition.contains("no σ"))
    }

    @Test("accumulation trend: slope by least squares, RMS of the first and last quarter")
    func trend() {
        // e_t = 0.01 + 0.002·t over 8 frames: slope 0.002; quarters (frames 0-1, 6-7)
        let e = (0..<8).map { 0.01 + 0.002 * Double($0) }
        let t = NoiseStudy.trend(e, kind: "x")
        #expect(abs(t.slope_per_frame - 0.002) < 1e-12)
        #expect(abs(t.first_quarter_rms - ((0.01 * 0.01 + 0.012 * 0.012) / 2).squareRoot()) < 1e-12)
        #expect(abs(t.last_quarter_rms - ((0.022 * 0.022 + 0.024 * 0.024) / 2).squareRoot()) < 1e-12)
        #expect(abs(t.growth! - t.last_quarter_rms / t.first_quarter_rms) < 1e-12)
    }

    @Test("physical shot noise: σ = √(2qI·2·B)/I_unit, by hand for a constant 1 nA candidate")
    func physical() {
        let net = Network(name: "one", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "cell", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [0.3], thetaHigh: [0.6], level: [1], initialState: [0]),
        ])
        let p = NoiseStudy.physical(network: net, stimulus: Stimulus(frames: [[1], [1], [1]], inputs: 1), drawsPerFrame: 10)
        // B = 10 / (2 · 10 ms) = 500 Hz; 2 · 1.602e-19 C · 1e-9 A · 2 · 500 Hz = 3.204e-25 A²; √ = 5.660e-13 A
        #expect(p.count == 1 && abs(p[0].mean_candidate_a - 1e-9) < 1e-18)
        #expect(abs(p[0].shot_sigma_units - 5.660e-4) < 1e-6, "\(p[0].shot_sigma_units)")
    }

    @Test("the plan: one noiseless run, σ × samples per source, mismatch once per sample, all sources together")
    func plan() {
        var o = NoiseStudyOptions(cosim: CoSimOptions(modelsDirectory: "/m"))
        o.sources = [.input, .device, .mismatch]
        o.sigmas = [0.05, 0.1]
        o.samples = 2
        let p = NoiseStudy.plan(o)
        #expect(p.first?.source == "none")
        #expect(p.filter { $0.source == "input" }.count == 4 && p.filter { $0.source == "device" }.count == 4)
        #expect(p.filter { $0.source == "mismatch" }.count == 2 && p.filter { $0.source == "together" }.count == 4)
        #expect(Set(p.map(\.id)).count == p.count)
    }
}

@Suite("Noise study: device noise in ngspice", .serialized)
struct DeviceNoiseCircuitTests {
    static func run(_ noise: DeviceNoise?) throws -> CoSimOutcome {
        var o = CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory())
        o.deviceNoise = noise
        o.requiredStateAgreement = 0
        return try CoSimulation.run(network: twoUnitNetwork(), stimulus: Stimulus(frames: twoUnitFrames, inputs: 2), options: o)
    }

    static func series(_ o: CoSimOutcome, _ q: String, _ j: Int) -> [Double] {
        o.traces.series.first { $0.layer == "cell" && $0.unit == j && $0.quantity == q }!.circuit
    }

    @Test("the candidates carry the injected draws (σ 0.05); the held states match the hand-worked ones")
    func candidatesNoisyStatesHeld() throws {
        let noise = DeviceNoise(sigma: 0.05, seed: 11)
        let clean = try Self.run(nil), noisy = try Self.run(noise)
        // the deck carries one PWL source per site and cell, with the draws' values
        #expect(noisy.simulatedDeck.contains("inz_cell_0 0 ") && noisy.simulatedDeck.contains("isz_cell_1 0 s_cell_1"))
        #expect(!clean.simulatedDeck.contains("inz_"))
        let T = twoUnitFrames.count
        var residual = 0.0, injected = 0.0, n = 0.0
        for j in 0..<2 {
            let a = Self.series(clean, "candidate", j), b = Self.series(noisy, "candidate", j)
            for t in 0..<T {
                // the circuit samples 0.2 % of a frame before its end; the injected value there, from the definition
                let v = noise.value(source: DeviceNoise.source(cell: j, site: .candidate), time: (Double(t + 1) - 0.002) * 0.01, framePeriod: 0.01)
                guard a[t] + v > 0.05 else { continue }   // clipped at 0 by the candidate diode: nothing to compare
                residual += (b[t] - a[t] - v) * (b[t] - a[t] - v)
                injected += v * v
                n += 1
            }
            // the states: the hand-worked ones, with and without noise (margins ≥ 0.1 units, σ 0.05)
            #expect(Self.series(noisy, "state", j).map { Int($0.rounded()) } == twoUnitStates.map { $0[j] }, "unit \(j)")
        }
        #expect(n >= 12)
        let rmsInjected = (injected / n).squareRoot(), rmsResidual = (residual / n).squareRoot()
        #expect(rmsInjected > 0.025 && rmsInjected < 0.1, "injected RMS \(rmsInjected)")
        #expect(rmsResidual < 0.1 * rmsInjected, "candidate change − injected draw: RMS \(rmsResidual) against \(rmsInjected)")
        // the held state's output current is the level, to within the clean circuit's own error
        for j in 0..<2 {
            let a = Self.series(clean, "current", j), b = Self.series(noisy, "current", j)
            let d = zip(a, b).map { abs($0 - $1) }.max() ?? 1
            #expect(d < 0.005, "unit \(j): output moved by \(d) units under candidate noise of σ 0.05")
        }
    }

    @Test("positive control: σ 0.5 flips states")
    func largeNoiseFlips() throws {
        let noisy = try Self.run(DeviceNoise(sigma: 0.5, seed: 11))
        var flips = 0
        for j in 0..<2 {
            flips += zip(Self.series(noisy, "state", j).map { Int($0.rounded()) }, twoUnitStates.map { $0[j] }).filter { $0 != $1 }.count
        }
        #expect(flips >= 2, "\(flips) flips")
    }
}
