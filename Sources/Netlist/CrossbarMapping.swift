// Weights of a crossbar layer as memristor conductances: one differential pair (G⁺, G⁻) per weight.
//
// A layer's column i sums, over its rows j, G⁺_ij on the row driven at +V_read·x_j/s_j and G⁻_ij on the row
// driven at −V_read·x_j/s_j, so its current is V_read·Σ_j (G⁺_ij − G⁻_ij)·x_j/s_j. Rows are the layer's inputs
// (full scale s = the network's input range, or the previous layer's output range), for a recurrent layer its
// own outputs of the previous frame (s = its output range), and one bias row at x = 1 (s = 1). With
// G⁺ − G⁻ = G_unit·w·s every column current is G_unit·V_read·(W·x + U·h + b): the pre-activation in weight
// units, the same scale for every row, which the ramp's steps use too. G_unit is the largest value both limits
// allow: every device inside the conductance range, (g_max − g_min) / max |w·s|, and the ADC range at most one
// full-scale row's worth of column swing, (g_max − g_min) / max |adc_range| (the integrator is sized for that
// swing: CrossbarTechnology). The idle device of each pair sits at g_min.
//
// Options model what programming does to the devices: quantisation to `conductance_levels` evenly spaced
// states, and a relative programming error σ per device (Gaussian, drawn per device name and seed). The realised
// weights are what the circuit computes with; the circuit-aware model uses them.

import BMRUModel
import Foundation

/// Where a crossbar row's signal comes from.
public enum CrossbarRowSource: Sendable, Equatable {
    /// input j of the layer
    case input(Int)
    /// the layer's own output j of the previous frame
    case recurrent(Int)
    case bias
}

public struct CrossbarRow: Sendable, Equatable {
    public var source: CrossbarRowSource
    /// the value that drives the row at full V_read
    public var fullScale: Double
    /// device-name part: "x3", "h1", "b"
    public var label: String {
        switch source {
        case let .input(j): return "x\(j)"
        case let .recurrent(j): return "h\(j)"
        case .bias: return "b"
        }
    }
}

/// Programming non-idealities.
public struct CrossbarProgramming: Sendable, Equatable {
    /// relative σ of a device's conductance after programming (0: exact)
    public var relativeSigma: Double = 0
    /// seed of the per-device draws
    public var seed: UInt64 = 1
    public init(relativeSigma: Double = 0, seed: UInt64 = 1) { self.relativeSigma = relativeSigma; self.seed = seed }
}

public struct CrossbarLayerMapping: Sendable, Equatable {
    public var layer: String
    public var rows: [CrossbarRow]
    /// siemens per weight unit
    public var unitConductance: Double
    /// units × rows, siemens
    public var positive: [[Double]]
    public var negative: [[Double]]

    /// (G⁺ − G⁻) / (G_unit · s): the weights the devices realise, in the layer's own form
    public func realisedWeights(inputs: Int, units: Int, recurrent: Bool) -> (weights: [[Double]], recurrent: [[Double]]?, bias: [Double]) {
        var w = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: units)
        var u: [[Double]]? = recurrent ? [[Double]](repeating: [Double](repeating: 0, count: units), count: units) : nil
        var b = [Double](repeating: 0, count: units)
        for i in 0..<units {
            for (r, row) in rows.enumerated() {
                let v = (positive[i][r] - negative[i][r]) / (unitConductance * row.fullScale)
                switch row.source {
                case let .input(j): w[i][j] = v
                case let .recurrent(j): u?[i][j] = v
                case .bias: b[i] = v
                }
            }
        }
        return (w, u, b)
    }
}

public enum CrossbarMapper {
    /// The output range's full scale of a layer: max(|f(low)|, |f(high)|) (1 when both are 0).
    public static func outputFullScale(_ l: CrossbarLayer) -> Double {
        let a = l.adc
        let s = max(abs(a.outputLow), abs(a.outputHigh))
        return s > 0 ? s : 1
    }

    /// One conductance snapped to the nearest of `levels` states in the range (unchanged when nil).
    public static func quantise(_ g: Double, range: ClosedRange<Double>, levels: Int?) -> Double {
        guard let levels, levels >= 2 else { return g }
        let step = (range.upperBound - range.lowerBound) / Double(levels - 1)
        let k = ((g - range.lowerBound) / step).rounded()
        return range.lowerBound + min(max(k, 0), Double(levels - 1)) * step
    }

    public static func map(_ net: CrossbarNetwork, programming: CrossbarProgramming = CrossbarProgramming()) -> [CrossbarLayerMapping] {
        let g = net.conductanceRange
        var inputScale = max(abs(net.inputRange.lowerBound), abs(net.inputRange.upperBound))
        var out = [CrossbarLayerMapping]()
        for l in net.layers {
            var rows = (0..<l.inputs).map { CrossbarRow(source: .input($0), fullScale: inputScale) }
            let own = outputFullScale(l)
            if l.kind == .rnn { rows += (0..<l.units).map { CrossbarRow(source: .recurrent($0), fullScale: own) } }
            rows.append(CrossbarRow(source: .bias, fullScale: 1))
            func weight(_ i: Int, _ r: Int) -> Double {
                switch rows[r].source {
                case let .input(j): return l.weights[i][j]
                case let .recurrent(j): return l.recurrentWeights![i][j]
                case .bias: return l.bias[i]
                }
            }
            var largest = 0.0
            for i in 0..<l.units { for r in rows.indices { largest = max(largest, abs(weight(i, r) * rows[r].fullScale)) } }
            let span = max(abs(l.adcRange.lowerBound), abs(l.adcRange.upperBound))
            let unit = (g.upperBound - g.lowerBound) / max(largest, span)
            var pos = [[Double]](), neg = [[Double]]()
            for i in 0..<l.units {
                var p = [Double](), n = [Double]()
                for r in rows.indices {
                    let s = weight(i, r) * rows[r].fullScale
                    func device(_ nominal: Double, _ sign: String) -> Double {
                        var v = quantise(nominal, range: g, levels: net.conductanceLevels)
                        if programming.relativeSigma > 0 {
                            var gen = SeededGenerator(seed: programming.seed, label: "\(l.name).\(i).\(rows[r].label)\(sign)")
                            v *= max(0, 1 + programming.relativeSigma * gen.nextStandardNormal())
                        }
                        return v
                    }
                    p.append(device(g.lowerBound + unit * max(s, 0), "+"))
                    n.append(device(g.lowerBound + unit * max(-s, 0), "-"))
                }
                pos.append(p); neg.append(n)
            }
            out.append(CrossbarLayerMapping(layer: l.name, rows: rows, unitConductance: unit, positive: pos, negative: neg))
            inputScale = own
        }
        return out
    }
}
