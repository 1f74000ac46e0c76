// The emitter's use of calibration tables (DeckOptions.calibration) and shared mismatch samples
// (DeckOptions.mismatchSample). Without tables every function here returns the nominal sizing, so
// uncalibrated decks are unchanged.

import BMRUModel
import Foundation

/// Realised cell values for the bias currents a deck draws.
struct CellRealization {
    /// bias currents to draw, units
    var thetaHighBias: Double
    var widthBias: Double
    var levelBias: Double
    /// what the circuit realises (the table's prediction; the trained values when uncalibrated)
    var thetaLow: Double
    var thetaHigh: Double
    var level: Double
}

extension Emission {
    /// The weight path of parameter `pname` ("<layer>.weights[j][i]").
    func mirrorPath(_ pname: String, cascoded: Bool) -> MirrorPath {
        guard cascoded else { return .negative }
        let layerName = pname.split(separator: ".").first.map(String.init) ?? ""
        let identity = network.layers.contains { $0.name == layerName && $0.kind == .dense && $0.activation == .identity }
        return identity ? .cascoded : .positive
    }

    /// Geometry for weight `w`: nominal, or inverted through the calibration tables at one unit of input
    /// current (the operating point the tables are inverted at; gains vary by ~0.5 % over 0.05..4 nA).
    func weightRealization(_ pname: String, _ w: Double, cascoded: Bool) -> WeightRealization {
        guard let cal = options.calibration else { return WeightRealization.realize(w) }
        return cal.sizeWeight(w, path: mirrorPath(pname, cascoded: cascoded), current: operatingCurrent(pname) * network.unitCurrent).0
    }

    /// The operating input current (units) of parameter `pname`: "<layer>.weights[j][i]" -> input i of the layer,
    /// "<layer>.relu_copy[j]" / "<layer>.residual[j]" -> unit j; 1 unit when unknown or zero.
    func operatingCurrent(_ pname: String) -> Double {
        guard let table = options.operatingCurrents, let dot = pname.firstIndex(of: ".") else { return 1 }
        let layer = String(pname[..<dot]), rest = pname[pname.index(after: dot)...]
        let idx = rest.split(whereSeparator: { $0 == "[" || $0 == "]" }).compactMap { Int($0) }
        let key: String, k: Int?
        if rest.hasPrefix("weights") { key = layer; k = idx.count == 2 ? idx[1] : nil }
        else if rest.hasPrefix("relu_copy") { key = layer + ".relu_copy"; k = idx.first }
        else if rest.hasPrefix("residual") { key = layer + ".residual"; k = idx.first }
        else { return 1 }
        guard let k, let v = table[key]?[safe: k], v > 0, v.isFinite else { return 1 }
        return v
    }

    /// Bias currents for one cell.
    func cellRealization(thetaLow lo: Double, thetaHigh hi: Double, level lv: Double) -> CellRealization {
        guard let cal = options.calibration else {
            return CellRealization(thetaHighBias: hi, widthBias: hi - lo, levelBias: lv, thetaLow: lo, thetaHigh: hi, level: lv)
        }
        let b = cal.cellBiases(thetaLow: lo, thetaHigh: hi, level: lv, unitCurrent: network.unitCurrent)
        let r = cal.realizedCell(thetaHighBias: b.thetaHighBias, widthBias: b.widthBias, levelBias: b.levelBias,
                                 unitCurrent: network.unitCurrent)
        return CellRealization(thetaHighBias: b.thetaHighBias, widthBias: b.widthBias, levelBias: b.levelBias,
                               thetaLow: hi - lo > 0 ? r.switchDown : r.switchUp, thetaHigh: r.switchUp, level: lv > 0 ? r.level : 0)
    }

    /// Technology entries of the mapping that record the calibration and mismatch sample used (none when
    /// uncalibrated: such mappings stay as they were).
    func calibrationTechnology() -> [String: String] {
        var t: [String: String] = [:]
        if let c = options.calibration {
            t["calibration"] = "\(c.generator), corner \(c.corner), \(NumberText.spice(c.temperatureC)) C, models " +
                c.modelFiles.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.prefix(12))" }.joined(separator: ", ")
            t["calibration_operating_current_a"] = NumberText.spice(network.unitCurrent)
        }
        if let s = options.mismatchSample {
            t["mismatch_sample"] = "seed \(s.seed), delvto per device, A_VT nmos \(NumberText.spice(s.nmosAVT)) pmos \(NumberText.spice(s.pmosAVT)) V.um"
        }
        return t
    }
}

extension DeckEmitter {
    /// Writes the shared mismatch sample's offsets into an emitted deck (no-op without a sample).
    static func applyMismatchSample(_ deck: inout SpiceDeck, _ options: DeckOptions) {
        guard let s = options.mismatchSample else { return }
        let offsets = DeviceOffsets.draw(s, deck: deck)
        DeviceOffsets.apply(to: &deck, offsets: offsets)
        let n = NumberText.spice
        deck.insertBeforeTemperature(.comment("shared mismatch sample \(s.seed): per-device delvto drawn by bmru (A_VT nmos \(n(s.nmosAVT)), pmos \(n(s.pmosAVT)) V.um)"))
    }
}

extension DeckOptions {
    /// These options with `operatingCurrents` filled from the stimulus (calibrated decks with a stimulus only):
    /// the ideal model's RMS input current of every weight's input, so each width is inverted where it works.
    public func withOperatingPoint(_ network: Network, _ stimulus: Stimulus?) -> DeckOptions {
        guard calibration != nil, operatingCurrents == nil, let s = stimulus, !s.frames.isEmpty else { return self }
        var o = self
        o.operatingCurrents = OperatingPoint.rms(network: network, stimulus: s)
        return o
    }
}

enum OperatingPoint {
    static func rms(_ rows: [[Double]], width: Int) -> [Double] {
        var acc = [Double](repeating: 0, count: width)
        for r in rows { for (i, v) in r.prefix(width).enumerated() { let x = max(v, 0); acc[i] += x * x } }
        return acc.map { ($0 / Double(max(rows.count, 1))).squareRoot() }
    }

    static func rms(network: Network, stimulus: Stimulus) -> [String: [Double]] {
        let trace = IdealModel(network: network).run(stimulus)
        var out: [String: [Double]] = [:]
        var input = rms(stimulus.frames, width: network.inputs)
        for (k, l) in network.layers.enumerated() {
            out[l.name] = input
            if let r = l.residual, let res = trace.layer(r) {
                let own = trace.layers[k].outputs
                let relu = zip(own, res.outputs).map { a, b in zip(a, b).map { $0 - $1 } }
                out[l.name + ".relu_copy"] = rms(relu, width: l.outputs)
                out[l.name + ".residual"] = rms(res.outputs, width: l.outputs)
            }
            input = rms(trace.layers[k].outputs, width: l.outputs)
        }
        return out
    }
}
