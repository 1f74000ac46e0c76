import BMRUModel
import Foundation
import Characterization
import Netlist
import Ngspice
import TestSupport
import Testing

/// Calibrated realisations, refusal of foreign calibrations, and the shared mismatch sample, on real ngspice
/// with the committed calibration of the typical corner (models/calibration/typical.json, `make calibrate`).
@Suite("Calibration")
struct CalibrationTests {
    static var calibrationPath: String {
        TestEnvironment.packageRoot.appendingPathComponent("models/calibration/typical.json").path
    }

    func calibration() throws -> CalibrationFile {
        try CalibrationFile.load(path: Self.calibrationPath, modelsDirectory: try TestEnvironment.modelsDirectory(), corner: .typical)
    }

    func options(calibrated: Bool) throws -> DeckOptions {
        var o = DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory())
        o.calibration = calibrated ? try calibration() : nil
        return o
    }

    func run(_ deck: String) throws -> [String: [Double]] {
        try Simulator.shared.run(SimulationRequest(deck: deck, timeout: 300)).vectors
    }

    /// One input at 1 unit (= I_unit), one output per path: relu positive (w), relu negative (bias w + 1, weight −w),
    /// and an identity layer's positive sum, read at the output probes in one `.op`.
    func weightGains(_ w: Double, unitCurrent iu: Double, input x: Double, calibrated: Bool) throws -> (pos: Double, neg: Double, cas: Double) {
        let relu = Network(name: "w", unitCurrent: iu, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "m", kind: .dense, weights: [[w], [-w]], bias: [0, (w + 1) * x]),
        ])
        let ident = Network(name: "wi", unitCurrent: iu, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "m", kind: .dense, weights: [[w]], bias: [0], activation: .identity),
        ])
        var o = try options(calibrated: calibrated)
        o.analysis = .operatingPoint
        let stim = Stimulus(frames: [[x]], inputs: 1)
        let a = try run(try DeckEmitter.emit(network: relu, stimulus: stim, options: o).text)
        let b = try run(try DeckEmitter.emit(network: ident, stimulus: stim, options: o).text)
        let i = x * iu
        let p = try #require(a["vo_m_0#branch"]?.first), n = try #require(a["vo_m_1#branch"]?.first)
        let c = try #require(b["vo_m_0_p#branch"]?.first)
        return (p / i, ((w + 1) * i - n) / i, c / i)
    }

    @Test("a weight of 0.37 is realised within 2 % when calibrated, on every path")
    func weight037() throws {
        let cal = try calibrated()
        _ = cal
        for (iu, x) in [(1e-9, 1.0), (5e-10, 1.0), (1e-9, 0.3)] {
            let g = try weightGains(0.37, unitCurrent: iu, input: x, calibrated: true)
            for (name, v) in [("positive", g.pos), ("negative", g.neg), ("identity", g.cas)] {
                #expect(abs(v / 0.37 - 1) < 0.02, "\(name) path at I_unit \(iu) A, input \(x) units: realised \(v)")
                note("w 0.37 \(name) I_unit \(iu) input \(x): \(v) (\(100 * (v / 0.37 - 1)) %)")
            }
        }
        // calibration must actually do something: at the operating point it is closer than the nominal sizing
        let cal1 = try weightGains(0.37, unitCurrent: 1e-9, input: 1, calibrated: true)
        let nom = try weightGains(0.37, unitCurrent: 1e-9, input: 1, calibrated: false)
        #expect(abs(cal1.pos / 0.37 - 1) <= abs(nom.pos / 0.37 - 1) + 1e-3, "calibrated \(cal1.pos) vs nominal \(nom.pos)")
        note("w 0.37 at 1 nA uncalibrated: pos \(nom.pos) neg \(nom.neg) identity \(nom.cas)")
        #expect(abs(cal1.pos / 0.37 - 1) < 0.005, "at the operating current the positive path is within 0.5 %: \(cal1.pos)")
    }

    func calibrated() throws -> CalibrationFile { try calibration() }

    /// BMRU_CALIB_VERBOSE=1 prints the measured figures (for the notes).
    func note(_ s: String) {
        if ProcessInfo.processInfo.environment["BMRU_CALIB_VERBOSE"] != nil { print("calibration figure: " + s) }
    }

    @Test("a 0.2 nA switching threshold is realised within 3 % when calibrated (and the mapping says so)")
    func threshold() throws {
        let o = try options(calibrated: true)
        // θ_high 0.2 units at I_unit 1 nA = 0.2 nA; θ_low 0.1 units
        let d = try CellBench.decks(thetaLow: 0.1, thetaHigh: 0.2, level: 1, unitCurrent: 1e-9, options: o, points: 1000)
        let m = try CellBench.analyze(up: try run(d.up), down: try run(d.down), thetaLow: 0.1, thetaHigh: 0.2, level: 1,
                                      unitCurrent: 1e-9, vdd: 1.8)
        #expect(abs(m.switchUp / 0.2 - 1) < 0.03, "switch-up at the candidate: \(m.switchUp * 1e-9) A")
        #expect(abs(m.switchUpInput / 0.2 - 1) < 0.03, "switch-up at the input: \(m.switchUpInput * 1e-9) A")
        #expect(abs(m.switchDown / 0.1 - 1) < 0.03, "switch-down: \(m.switchDown) units")
        #expect(abs(m.levelOn / 1 - 1) < 0.02, "level: \(m.levelOn) units")
        // the same threshold on a 0.1 nA unit (2 units = 0.2 nA)
        let d2 = try CellBench.decks(thetaLow: 1, thetaHigh: 2, level: 1, unitCurrent: 1e-10, options: o, points: 1000)
        let m2 = try CellBench.analyze(up: try run(d2.up), down: try run(d2.down), thetaLow: 1, thetaHigh: 2, level: 1,
                                       unitCurrent: 1e-10, vdd: 1.8)
        #expect(abs(m2.switchUp / 2 - 1) < 0.03, "switch-up at I_unit 0.1 nA: \(m2.switchUp * 1e-10) A")
        note("0.2 nA threshold calibrated: up \(m.switchUp) (input \(m.switchUpInput)) down \(m.switchDown) level \(m.levelOn); at 0.1 nA unit: up \(m2.switchUp / 2) down \(m2.switchDown)")
        // the mapping reports trained value, realised value and the bias actually drawn
        let net = CellBench.network(thetaLow: 0.1, thetaHigh: 0.2, level: 1, unitCurrent: 1e-9)
        let map = try DeckEmitter.emit(network: net, stimulus: nil, options: o).mapping
        let hi = try #require(map.parameters.first { $0.parameter == "cell.theta_high[0]" })
        #expect(hi.value == 0.2)
        #expect(abs(hi.realizedValue - 0.2) < 0.002)
        #expect(hi.currentA! > 0.2e-9, "the switch-up falls short of the bias (measured), so the bias is raised: \(hi.currentA!)")
        #expect(map.technology["calibration"] != nil)
    }

    @Test("a calibration made for other model files is refused with the file, field and reason")
    func refusesOtherModels() throws {
        let models = try TestEnvironment.modelsDirectory()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("bmru-calib-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        // other models: the same library with one changed design file
        let design = try Data(contentsOf: URL(fileURLWithPath: models + "/design.ngspice"))
        try (design + Data("\n* locally modified\n".utf8)).write(to: tmp.appendingPathComponent("design.ngspice"))
        try FileManager.default.createSymbolicLink(atPath: tmp.appendingPathComponent("sm141064.ngspice").path,
                                                   withDestinationPath: models + "/sm141064.ngspice")
        do {
            _ = try CalibrationFile.load(path: Self.calibrationPath, modelsDirectory: tmp.path)
            Issue.record("a calibration for other model files was accepted")
        } catch let e as CalibrationError {
            #expect(e.kind == .modelMismatch)
            #expect(e.field == "modelFiles.design.ngspice")
            #expect(e.file == Self.calibrationPath)
            #expect(e.reason.contains("bmru calibrate"))
        }
        // a corrupt file names the field
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.calibrationPath))) as! [String: Any]
        json["version"] = 99
        let bad = tmp.appendingPathComponent("bad.json")
        try JSONSerialization.data(withJSONObject: json).write(to: bad)
        #expect(throws: CalibrationError.self) { try CalibrationFile.load(path: bad.path, modelsDirectory: models) }
    }

    @Test("the shared mismatch sample moves the circuit's threshold by what the circuit-aware model predicts (within 20 %)")
    func sharedSample() throws {
        let cal = try calibration()
        let models = try TestEnvironment.modelsDirectory()
        let net = CellBench.network(thetaLow: 0.25, thetaHigh: 0.5, level: 1, unitCurrent: 1e-9)
        func predicted(_ seed: UInt64?) throws -> (up: Double, down: Double) {
            let s = seed.map { MismatchSample(seed: $0, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT) }
            let m = try CircuitAwareModel(network: net, options: CircuitAwareOptions(calibration: cal, mismatch: s, modelsDirectory: models))
            let c = try #require(m.cell(layer: 0, unit: 0))
            return (c.switchUp, c.switchDown)
        }
        // the seed (of the first 40) whose predicted switch-up moves most: a shift well above sweep resolution
        let nominal = try predicted(nil)
        var best: (UInt64, Double) = (1, 0)
        for seed in UInt64(1)...40 {
            let p = try predicted(seed)
            if abs(p.up - nominal.up) > abs(best.1) { best = (seed, p.up - nominal.up) }
        }
        let sample = MismatchSample(seed: best.0, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT)
        #expect(abs(best.1) > 0.01 * nominal.up, "the sample should move the threshold noticeably: \(best)")
        func measured(_ s: MismatchSample?) throws -> CellMeasurement {
            var o = try options(calibrated: true)
            o.mismatchSample = s
            let d = try CellBench.decks(thetaLow: 0.25, thetaHigh: 0.5, level: 1, unitCurrent: 1e-9, options: o, points: 2000)
            if s != nil { #expect(d.up.contains("delvto={dv_mthm}") && d.up.contains(" dv_mthm=")) }
            return try CellBench.analyze(up: try run(d.up), down: try run(d.down), thetaLow: 0.25, thetaHigh: 0.5, level: 1,
                                         unitCurrent: 1e-9, vdd: 1.8)
        }
        let m0 = try measured(nil), m1 = try measured(sample)
        let shift = m1.switchUp - m0.switchUp
        note("shared sample seed \(best.0): switch-up moved \(shift), predicted \(best.1); down moved \(m1.switchDown - m0.switchDown)")
        #expect(abs(shift - best.1) <= 0.2 * abs(best.1),
                "seed \(best.0): circuit switch-up moved \(shift) units, model predicted \(best.1)")
        let pd = try predicted(best.0)
        let shiftDown = m1.switchDown - m0.switchDown, predDown = pd.down - nominal.down
        if abs(predDown) > 0.005 {
            #expect(abs(shiftDown - predDown) <= 0.2 * abs(predDown) + 0.002,
                    "switch-down moved \(shiftDown), predicted \(predDown)")
        }
    }

    /// A whole network under one shared mismatch sample: the circuit-aware model with the same offsets predicts
    /// the circuit's states and dense currents frame by frame (independently of the ideal model).
    @Test("shared sample: the circuit-aware model predicts a mismatched circuit's states and currents")
    func sharedSampleNetwork() throws {
        let cal = try calibration()
        let models = try TestEnvironment.modelsDirectory()
        let net = try NetworkFile.load(path: TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path)
        let stim = try StimulusFile.load(path: TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.csv").path, inputs: net.inputs)
        let sample = MismatchSample(seed: 3, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT)
        let model = try CircuitAwareModel(network: net, options: CircuitAwareOptions(calibration: cal, mismatch: sample, modelsDirectory: models),
                                          stimulus: stim)
        var o = try options(calibrated: true)
        o.mismatchSample = sample
        let deck = try DeckEmitter.emit(network: net, stimulus: stim, options: o)
        let v = try run(deck.text)
        let time = try #require(v["time"])
        let T = net.framePeriod, iu = net.unitCurrent
        func end(_ k: Int) -> Int { time.lastIndex { $0 <= (Double(k) + 1) * T * (1 - 1e-6) } ?? 0 }
        let trace = model.run(stim)
        let ideal = IdealModel(network: net).run(stim)
        var err2 = 0.0, ref2 = 0.0, idealErr2 = 0.0
        for (k, _) in stim.frames.enumerated() {
            let q = end(k)
            for (li, l) in net.layers.enumerated() {
                let L = l.name.lowercased()
                for j in 0..<l.outputs {
                    if l.kind == .bmru {
                        let s = try #require(v["s_\(L)_\(j)"])[q] > 0.9 ? 1 : 0
                        let c = try #require(trace.layers[li].candidates)[k][j]
                        let cell = try #require(model.cell(layer: li, unit: j))
                        // pairs within 2 % of a (mismatched) threshold may go either way
                        if abs(c / cell.switchUp - 1) > 0.02 && abs(c / cell.switchDown - 1) > 0.02 {
                            #expect(s == trace.layers[li].states![k][j], "frame \(k) \(L)[\(j)]: circuit \(s), model \(trace.layers[li].states![k][j]), candidate \(c)")
                        }
                    } else if l.activation == .relu {
                        let i = try #require(v["vo_\(L)_\(j)#branch"])[q] / iu
                        err2 += pow(i - trace.layers[li].outputs[k][j], 2); ref2 += pow(trace.layers[li].outputs[k][j], 2)
                        idealErr2 += pow(i - ideal.layers[li].outputs[k][j], 2)
                    }
                }
            }
        }
        let rel = (err2 / ref2).squareRoot(), idealRel = (idealErr2 / ref2).squareRoot()
        note("tiny, shared sample 3: relu currents RMS rel. error vs circuit-aware \(rel), vs ideal \(idealRel)")
        #expect(rel < 0.01, "circuit-aware model vs circuit: \(rel) RMS relative")
        #expect(rel < idealRel, "the model with the sample should beat the ideal model (\(rel) vs \(idealRel))")
    }

    @Test("delvto offsets are deterministic, order-independent and scale with 1/sqrt(area)")
    func offsetDraws() throws {
        let s = MismatchSample(seed: 7, nmosAVT: 5e-3, pmosAVT: 5e-3)
        #expect(s.offset(device: "xw_a_0_0.m1", sigma: 1) == s.offset(device: "xw_a_0_0.m1", sigma: 1))
        #expect(s.offset(device: "xw_a_0_0.m1", sigma: 1) != s.offset(device: "xw_a_0_1.m1", sigma: 1))
        // the sample's spread over many devices is the requested σ (independent check of the draw)
        let v = (0..<4000).map { s.offset(device: "d\($0)", sigma: 0.002) }
        let mean = v.reduce(0, +) / 4000, sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3999).squareRoot()
        #expect(abs(mean) < 0.0002 && abs(sd / 0.002 - 1) < 0.05, "mean \(mean), sd \(sd)")
        // Pelgrom: a 4x larger area halves σ
        #expect(abs(s.sigma(pmos: false, w: 3.9, l: 2.15, m: 1) / s.sigma(pmos: false, w: 3.9, l: 2.15, m: 4) - 2) < 1e-12)
    }
}
