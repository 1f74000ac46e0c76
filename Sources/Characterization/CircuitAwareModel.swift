// The circuit-aware behavioural model: what the emitted circuit will do, predicted from the calibration tables
// instead of SPICE.
//
// It reads the geometry and bias currents the emitter actually drew (the deck's mapping, so a calibrated deck
// and an uncalibrated one are predicted from their own sizes), and follows the circuit's signal path frame by
// frame, quasi-statically (settling time constants are ≤ 0.2 ms at 50 pA against 10 ms frames):
//   weight j,i:   r_drawn · factor(path, finger width, input current) · exp(S_n·(δ_w − δ_ref,i))
//   PMOS mirror:  · exp(S_p·(δ_copy − δ_diode))   (positive sums of relu/bmru rows, residual sums)
//   relu:         max(z, 0) (leakage floor below 0); identity: positive − negative sum
//   cell:         switch-up / switch-down / level from the cell table at the drawn bias currents, each bias
//                 mirror and the candidate copy scaled by its devices' offsets; s = 0 output = leakage
// δ are the shared mismatch sample's per-device delvto (DeviceOffsets), S_n and S_p the measured sensitivities
// d ln I / d delvto. Optional input-referred noise adds N(0, σ²) units to every input current of every frame (InputNoise).
// Second-order effects left out: cascode and inverter offsets, DIBL of a relu summing node that moves with
// its output, gain changes of a PMOS sum mirror with its total current beyond the table.

import Netlist
import BMRUModel
import Foundation

public struct CircuitAwareOptions: Sendable {
    /// the tables to predict with (required: the model is the tables)
    public var calibration: CalibrationFile
    /// whether the deck being predicted was emitted with these tables (pre-distorted) or nominal sizes
    public var calibratedDeck: Bool
    public var mismatch: MismatchSample?
    /// input-referred current noise, units RMS per frame and input (0 = none)
    public var noise: Double
    public var noiseSeed: UInt64
    public var modelsDirectory: String
    public var vdd: Double
    public var temperature: Double

    public init(calibration: CalibrationFile, calibratedDeck: Bool = true, mismatch: MismatchSample? = nil, noise: Double = 0,
                noiseSeed: UInt64 = 1, modelsDirectory: String, vdd: Double = 1.8, temperature: Double = 27) {
        self.calibration = calibration; self.calibratedDeck = calibratedDeck; self.mismatch = mismatch
        self.noise = noise; self.noiseSeed = noiseSeed; self.modelsDirectory = modelsDirectory
        self.vdd = vdd; self.temperature = temperature
    }

    /// The deck options that emit the circuit this model predicts.
    public var deckOptions: DeckOptions {
        var o = DeckOptions(corner: Corner(rawValue: calibration.corner) ?? .typical, vdd: vdd, temperature: temperature,
                            modelsDirectory: modelsDirectory)
        o.calibration = calibratedDeck ? calibration : nil
        o.mismatchSample = mismatch
        return o
    }
}

public struct CircuitAwareModel: Sendable {
    public let network: Network
    public let options: CircuitAwareOptions

    /// one weight's prepared data
    /// `fc`: the mirror factor at each table current (the width is fixed), interpolated in log current at run time
    struct W { var input: Int; var sign: Double; var ratio: Double; var wf: Double; var path: MirrorPath; var mis: Double; var fc: [Double] = [] }
    struct Row {
        var weights: [W] = []
        var bias: Double = 0                 // units, signed (negative: through the nbias mirror)
        var pmirror: Double = 1              // PMOS sum-mirror mismatch factor (positive sums)
        // residual rows
        var reluCopy: Double = 1, residualCopy: Double = 1, residualMirror: Double = 1
        /// drawn ratio × mirror factor of the two copies at each table current
        var reluCopyFc: [Double] = [], residualCopyFc: [Double] = []
        // cells
        var up = 0.0, down = 0.0, level = 0.0, levelOff = 0.0, copy = 1.0
        var initial: UInt8 = 0
    }
    struct PreparedLayer { var layer: Layer; var rows: [Row]; var residualIndex: Int? }
    let layers: [PreparedLayer]
    /// log of the table currents (A)
    let lnCurrents: [Double]
    /// the per-device offsets used (empty without a mismatch sample)
    public let offsets: [String: Double]

    /// `stimulus`: the stimulus the deck being predicted is emitted with (a calibrated deck inverts its widths at
    /// the stimulus's operating currents); nil for a deck emitted without one.
    public init(network: Network, options: CircuitAwareOptions, stimulus: Stimulus? = nil) throws {
        self.network = network
        self.options = options
        var o = options.deckOptions.withOperatingPoint(network, stimulus)
        o.analysis = .operatingPoint
        o.mismatchSample = nil   // the offsets are drawn from the plain deck, as the emitter does
        let deck = try DeckEmitter.emit(network: network, stimulus: nil, options: o)
        let offsets = options.mismatch.map { s in DeviceOffsets.draw(s, deck: deck.deck).mapValues(DeviceOffsets.rounded) } ?? [:]
        self.offsets = offsets
        let cal = options.calibration
        let sn = cal.devices.nmosDelvtoSensitivity, sp = cal.devices.pmosDelvtoSensitivity
        func d(_ k: String) -> Double { offsets[k] ?? 0 }
        var params: [String: ParameterRealization] = [:]
        for p in deck.mapping.parameters { params[p.parameter] = p }
        let iu = network.unitCurrent
        var prepared: [PreparedLayer] = []
        var sourceDiodes = (0..<network.inputs).map { "xdin_\($0).m1" }
        var outDiodes: [String: [String]] = [:]
        for l in network.layers {
            let L = l.name.lowercased()
            let identity = l.kind == .dense && l.activation == .identity
            var rows: [Row] = []
            for j in 0..<l.outputs {
                var r = Row()
                for (i, w) in l.weights[j].enumerated() {
                    guard let p = params["\(l.name).weights[\(j)][\(i)]"], let m = p.fingers, let wf = p.fingerWidthUm, m > 0 else { continue }
                    var ratio = Double(m) * (wf - Technology.deltaWidth) / (Double(Technology.referenceFingers) * (Technology.unitWidth - Technology.deltaWidth))
                    let path: MirrorPath = w < 0 && !identity ? .negative : (identity ? .cascoded : .positive)
                    var fw = wf
                    if p.realization != WeightRealization.Kind.fingers.rawValue {
                        // narrow-bin finger: its measured gain (drains at equal voltage, like the plain sink) is the
                        // mapping's realised value; the path's extra gain is taken at the table's narrowest width
                        fw = cal.mirror.fingerWidthsUm[0]
                        ratio = abs(p.realizedValue) / cal.mirror.factor(.negative, fingerWidth: fw, current: iu)
                    }
                    let mis = exp(sn * (d("xw_\(L)_\(j)_\(i).m1") - d(sourceDiodes[i])))
                    let fc = cal.mirror.currentsA.map { cal.mirror.factor(path, fingerWidth: fw, current: $0) }
                    r.weights.append(W(input: i, sign: w < 0 ? -1 : 1, ratio: ratio, wf: fw, path: path, mis: mis, fc: fc))
                }
                r.bias = l.bias[j]
                if l.bias[j] < 0 { r.bias *= exp(sn * (d("xnb_\(L)_\(j).m2") - d("xnb_\(L)_\(j).m1"))) }
                r.pmirror = exp(sp * (d("xpm_\(L)_\(j).m2") - d("xpm_\(L)_\(j).m1")))
                if l.residual != nil {
                    func copyFc(_ name: String, _ path: MirrorPath) -> [Double] {
                        let p = params[name]
                        let m = Double(p?.fingers ?? 1), wf = p?.fingerWidthUm ?? WeightRealization.realize(1).fingerWidth
                        let ratio = m * (wf - Technology.deltaWidth) / (Double(Technology.referenceFingers) * (Technology.unitWidth - Technology.deltaWidth))
                        return cal.mirror.currentsA.map { ratio * cal.mirror.factor(path, fingerWidth: wf, current: $0) }
                    }
                    r.reluCopyFc = copyFc("\(l.name).relu_copy[\(j)]", .positive)
                    r.residualCopyFc = copyFc("\(l.name).residual[\(j)]", identity ? .cascoded : .positive)
                }
                if let res = l.residual {
                    r.reluCopy = exp(sn * (d("xwz_\(L)_\(j).m1") - d("xdz_\(L)_\(j).m1")))
                    r.residualCopy = exp(sn * (d("xwr_\(L)_\(j).m1") - d(outDiodes[res.lowercased()]![j])))
                    r.residualMirror = exp(sp * (d("xqm_\(L)_\(j).m2") - d("xqm_\(L)_\(j).m1")))
                }
                if l.kind == .bmru {
                    let th = params["\(l.name).theta_high[\(j)]"]?.currentA ?? 0
                    let wd = params["\(l.name).theta_low[\(j)]"]?.currentA ?? 0
                    let lv = params["\(l.name).level[\(j)]"]?.currentA ?? 0
                    let c = cal.realizedCell(thetaHighBias: th / iu, widthBias: wd / iu, levelBias: lv / iu, unitCurrent: iu)
                    let x = "xcell_\(L)_\(j)."
                    let fth = exp(sp * (d(x + "mthm") - d(x + "mthd")))
                    let fwd = exp(sn * (d(x + "mwdm") - d(x + "mwdd")))
                    let flv = exp(sp * (d(x + "mlvm") - d(x + "mlvd")))
                    r.copy = exp(sn * (d(x + "mcc1") - d("xdc_\(L)_\(j).m1")))
                    r.up = c.switchUp * fth / r.copy
                    r.down = (c.switchUp * fth - (c.switchUp - c.switchDown) * fwd) / r.copy
                    r.level = c.level * flv
                    r.levelOff = c.levelOff
                    r.initial = UInt8(l.initialState.flatMap { j < $0.count ? $0[j] : nil } ?? 0)
                }
                rows.append(r)
            }
            let names = (0..<l.outputs).map { "xd_\(L)_\($0).m1" }
            outDiodes[L] = names
            sourceDiodes = names
            prepared.append(PreparedLayer(layer: l, rows: rows, residualIndex: l.residual.flatMap { r in network.layers.firstIndex { $0.name == r } }))
        }
        layers = prepared
        lnCurrents = cal.mirror.currentsA.map { log($0) }
    }

    /// The predicted switch-up and switch-down (units of candidate current) and output level of a bmru unit,
    /// with the sample's offsets; nil for other layers.
    public func cell(layer: Int, unit: Int) -> (switchUp: Double, switchDown: Double, level: Double)? {
        guard layers.indices.contains(layer), layers[layer].layer.kind == .bmru, layers[layer].rows.indices.contains(unit) else { return nil }
        let r = layers[layer].rows[unit]
        return (r.up, r.down, r.level)
    }

    /// Predicted circuit values for every frame (same layout as IdealModel's trace, model units).
    public func run(_ stimulus: Stimulus) -> ModelTrace {
        let T = stimulus.frames.count
        let cal = options.calibration
        let iu = network.unitCurrent
        let leak = cal.mirror.leakageA / iu
        // input-referred noise: the shared definition (BMRUModel/InputNoise.swift), so a cosim with
        // --input-noise and this model draw the same noise for the same σ and seed
        let noise = InputNoise(sigma: options.noise, seed: options.noiseSeed)
        var outputs = [[[Double]]](repeating: [], count: layers.count)
        var cands = [[[Double]]](repeating: [], count: layers.count)
        var states = [[[Int]]](repeating: [], count: layers.count)
        var s = layers.map { $0.rows.map(\.initial) }
        let lnI = lnCurrents, nI = lnI.count
        /// table segment and fraction of a current in units (clamped to the table)
        func locate(_ units: Double) -> (Int, Double) {
            let v = log(max(units * iu, 1e-30))
            if v <= lnI[0] { return (0, 0) }
            if v >= lnI[nI - 1] { return (nI - 2, 1) }
            var k = 1
            while v > lnI[k] { k += 1 }
            return (k - 1, (v - lnI[k - 1]) / (lnI[k] - lnI[k - 1]))
        }
        func at(_ f: [Double], _ p: (Int, Double)) -> Double { f[p.0] + p.1 * (f[p.0 + 1] - f[p.0]) }
        for t in 0..<T {
            var x = stimulus.frames[t].enumerated().map { i, v -> Double in
                options.noise > 0 ? noise.apply(v, frame: t, input: i) : max(v, 0)
            }
            for (k, pl) in layers.enumerated() {
                let l = pl.layer
                var y = [Double](repeating: 0, count: pl.rows.count)
                let loc = x.map { locate($0) }
                var cRow = [Double](), sRow = [Int]()
                for (j, r) in pl.rows.enumerated() {
                    var pos = 0.0, neg = 0.0
                    for w in r.weights {
                        let xi = x[w.input]
                        guard xi > 0 else { continue }
                        let v = w.ratio * at(w.fc, loc[w.input]) * w.mis * xi
                        if w.sign > 0 { pos += v } else { neg += v }
                    }
                    switch (l.kind, l.activation) {
                    case (.dense, .identity):
                        var p = pos, m = neg
                        if r.bias > 0 { p += r.bias } else { m -= r.bias }
                        if l.residual != nil, let ri = pl.residualIndex {
                            let rv = outputs[ri][t][j]
                            p += rv * at(r.residualCopyFc, locate(rv)) * r.residualCopy
                        }
                        y[j] = p - m
                    default:
                        var z = pos * r.pmirror - neg + r.bias
                        if l.kind == .bmru {
                            let c = max(z, 0)
                            cRow.append(c)
                            if c > r.up { s[k][j] = 1 } else if c < r.down { s[k][j] = 0 }
                            sRow.append(Int(s[k][j]))
                            y[j] = s[k][j] == 1 ? r.level : r.levelOff
                        } else {
                            z = z > 0 ? z : leak
                            if let ri = pl.residualIndex {
                                let rv = outputs[ri][t][j]
                                let g1 = at(r.reluCopyFc, locate(z)), g2 = at(r.residualCopyFc, locate(rv))
                                z = (z * g1 * r.reluCopy + rv * g2 * r.residualCopy) * r.residualMirror
                            }
                            y[j] = z
                        }
                    }
                }
                outputs[k].append(y)
                if l.kind == .bmru { cands[k].append(cRow); states[k].append(sRow) }
                x = y
            }
        }
        return ModelTrace(frames: T, layers: layers.enumerated().map { k, pl in
            LayerTrace(name: pl.layer.name, kind: pl.layer.kind, outputs: outputs[k],
                       candidates: pl.layer.kind == .bmru ? cands[k] : nil, states: pl.layer.kind == .bmru ? states[k] : nil)
        })
    }
}
