// The calibration tables' forward model (drawn geometry or bias -> realised value) and its inversion (trained
// value -> what to draw), with the interpolation they use. The tables and their reading are in Calibration.swift.

import BMRUModel
import Foundation

extension CalibrationFile {
    /// The weight's realised magnitude for a drawn geometry at input current `current` A.
    public func realizedWeight(_ r: WeightRealization, path: MirrorPath, current: Double) -> Double {
        guard r.fingers > 0 else { return 0 }
        return r.realizedMagnitude * mirror.factor(path, fingerWidth: r.fingerWidth, current: current)
    }

    /// The geometry whose realised gain at `current` A is |w| (same finger count rule as the nominal sizing),
    /// and the magnitude it realises.
    public func sizeWeight(_ w: Double, path: MirrorPath, current: Double) -> (WeightRealization, realized: Double) {
        let nominal = WeightRealization.realize(w)
        guard nominal.fingers > 0 else { return (nominal, 0) }
        // narrow-bin fingers (and weights rounded up to one) are sized from their own measured table
        // (Technology.narrowBin), outside this table's width range: kept as they are
        guard nominal.kind == .fingers else { return (nominal, nominal.realizedMagnitude) }
        let target = abs(w)
        // fixed point: drawn = target / factor(drawn)
        var drawn = target
        var r = nominal
        for _ in 0..<6 {
            let f = mirror.factor(path, fingerWidth: r.fingerWidth, current: current)
            drawn = target / f
            r = WeightRealization.fingers(for: max(drawn, Technology.minimumWeight))
        }
        let realized = realizedWeight(r, path: path, current: current)
        r.realizedMagnitude = realized
        return (r, realized)
    }

    /// The cell row interpolation weight for unit current `iu`.
    func cellRows(_ iu: Double) -> [(CellTableRow, Double)] {
        if cells.count == 1 || iu <= cells[0].unitCurrentA { return [(cells[0], 1)] }
        if iu >= cells[cells.count - 1].unitCurrentA { return [(cells[cells.count - 1], 1)] }
        let k = cells.firstIndex { $0.unitCurrentA >= iu }!
        let a = cells[k - 1], b = cells[k]
        let t = (log(iu) - log(a.unitCurrentA)) / (log(b.unitCurrentA) - log(a.unitCurrentA))
        return [(a, 1 - t), (b, t)]
    }

    /// switch-up / θ_high-bias factor, width factor, level factor at unit current `iu` and the given biases (units).
    func cellFactor(_ iu: Double, _ pick: (CellPoint) -> (x: Double, y: Double), at x: Double) -> Double {
        var v = 0.0
        for (row, wgt) in cellRows(iu) {
            // average the factor over points with the same x, then interpolate in log x
            var byX: [Double: (Double, Int)] = [:]
            for p in row.points {
                let q = pick(p)
                let e = byX[q.x] ?? (0, 0)
                byX[q.x] = (e.0 + q.y / q.x, e.1 + 1)
            }
            let xs = byX.keys.sorted()
            let ys = xs.map { byX[$0]!.0 / Double(byX[$0]!.1) }
            v += wgt * Interp.linear(x: log(max(x, 1e-12)), xs: xs.map { log($0) }, ys: ys)
        }
        return v
    }

    /// The hysteresis width the cell realises: width_eff = slope·width_bias − eps·θ_high_bias (units), a least-squares
    /// fit over a row's cells (measured: slope ≈ 1.01, eps ≈ 0.006..0.012, residual ≈ 0.003 units RMS; the θ_high
    /// term is a switch-down shortfall that grows with the threshold current, not with the width).
    func widthModel(_ iu: Double) -> (slope: Double, eps: Double) {
        var slope = 0.0, eps = 0.0
        for (row, w) in cellRows(iu) {
            // normal equations of y = a·x1 − e·x2
            var s11 = 0.0, s12 = 0.0, s22 = 0.0, b1 = 0.0, b2 = 0.0
            for p in row.points {
                let x1 = p.widthBias, x2 = -p.thetaHighBias, y = p.switchUp - p.switchDown
                s11 += x1 * x1; s12 += x1 * x2; s22 += x2 * x2; b1 += x1 * y; b2 += x2 * y
            }
            let det = s11 * s22 - s12 * s12
            let a = abs(det) > 1e-18 ? (b1 * s22 - b2 * s12) / det : b1 / max(s11, 1e-18)
            let e = abs(det) > 1e-18 ? (s11 * b2 - s12 * b1) / det : 0
            slope += w * a; eps += w * e
        }
        return (slope, eps)
    }

    /// Realised switch-up, switch-down and level (units) for drawn biases (units) at unit current `iu` A.
    public func realizedCell(thetaHighBias: Double, widthBias: Double, levelBias: Double, unitCurrent iu: Double)
        -> (switchUp: Double, switchDown: Double, level: Double, levelOff: Double) {
        let up = thetaHighBias * cellFactor(iu, { ($0.thetaHighBias, $0.switchUp) }, at: thetaHighBias)
        let wm = widthModel(iu)
        let wd = max(0, wm.slope * widthBias - wm.eps * thetaHighBias)
        let lv = levelBias <= 0 ? 0 : levelBias * cellFactor(iu, { ($0.levelBias, $0.levelOn) }, at: levelBias)
        var off = 0.0
        for (row, w) in cellRows(iu) { off += w * row.points.map(\.levelOff).reduce(0, +) / Double(row.points.count) }
        return (up, up - wd, lv, off)
    }

    /// Bias currents (units) that realise θ_low, θ_high and the level at unit current `iu` A.
    public func cellBiases(thetaLow: Double, thetaHigh: Double, level: Double, unitCurrent iu: Double)
        -> (thetaHighBias: Double, widthBias: Double, levelBias: Double) {
        func invert(_ target: Double, _ pick: @escaping (CellPoint) -> (x: Double, y: Double)) -> Double {
            guard target > 0 else { return 0 }
            var x = target
            for _ in 0..<8 { x = target / cellFactor(iu, pick, at: x) }
            return x
        }
        let th = invert(thetaHigh) { ($0.thetaHighBias, $0.switchUp) }
        // the width that brings the realised switch-up down to θ_low
        let up = th * cellFactor(iu, { ($0.thetaHighBias, $0.switchUp) }, at: th)
        let wm = widthModel(iu)
        let wd = thetaHigh > thetaLow ? max(0, (up - thetaLow + wm.eps * th) / wm.slope) : 0
        let lv = invert(level) { ($0.levelBias, $0.levelOn) }
        return (th, wd, lv)
    }

    /// Settling time constant at `current` A (log-log interpolation of the settling table).
    public func settlingTau(current: Double) -> Double? {
        guard settling.count >= 2 else { return settling.first?.tauS }
        let xs = settling.map { log($0.currentA) }, ys = settling.map { log($0.tauS) }
        return exp(Interp.linear(x: log(max(current, 1e-18)), xs: xs, ys: ys, extrapolate: true))
    }
}

/// Piecewise-linear interpolation helpers (clamped at the edges unless asked to extrapolate).
enum Interp {
    static func linear(x: Double, xs: [Double], ys: [Double], extrapolate: Bool = false) -> Double {
        precondition(xs.count == ys.count && !xs.isEmpty)
        if xs.count == 1 { return ys[0] }
        var k = 1
        while k < xs.count - 1 && x > xs[k] { k += 1 }
        if !extrapolate {
            if x <= xs[0] { return ys[0] }
            if x >= xs[xs.count - 1] { return ys[ys.count - 1] }
        }
        let t = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
        return ys[k - 1] + t * (ys[k] - ys[k - 1])
    }

    static func bilinear(x: Double, xs: [Double], y: Double, ys: [Double], table: [[Double]]) -> Double {
        let rows = table.map { linear(x: y, xs: ys, ys: $0) }
        return linear(x: x, xs: xs, ys: rows)
    }
}
