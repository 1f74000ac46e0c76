// Behavioural models of a crossbar RNN: frame by frame, every layer's pre-activation (the column's
// integrated current, in weight units) and its activation.
//
// - `.ideal`: f(clamp(pre, adc_range)): the function the ramp is programmed for, without quantisation (the
//   ramp cannot count past its ends, so the clamp is part of the function even here);
// - `.quantized`: the ramp ADC's code → its level (what the circuit computes with perfect devices).
// A `CrossbarRealisation` replaces the nominal weights and ramp thresholds by those a circuit realises and adds
// read noise; the circuit-aware model (Characterization) builds one from the programmed conductances.

import Foundation

/// How a layer's pre-activation becomes its output.
public enum CrossbarActivationMode: String, Sendable, Equatable, CaseIterable {
    case ideal
    case quantized
}

/// What one layer of a circuit realises, in place of the nominal numbers.
public struct CrossbarLayerRealisation: Sendable, Equatable {
    public var weights: [[Double]]
    public var recurrentWeights: [[Double]]?
    public var bias: [Double]
    /// ascending ramp thresholds (pre-activation units), one list per unit (a shared ramp repeats one list)
    public var thresholds: [[Double]]
    /// Gaussian read noise added to every pre-activation of every frame, weight units (0: none)
    public var readNoiseSigma: Double

    public init(weights: [[Double]], recurrentWeights: [[Double]]?, bias: [Double], thresholds: [[Double]], readNoiseSigma: Double = 0) {
        self.weights = weights; self.recurrentWeights = recurrentWeights; self.bias = bias
        self.thresholds = thresholds; self.readNoiseSigma = readNoiseSigma
    }

    /// The nominal layer: its own weights and its ADC's designed thresholds.
    public init(nominal l: CrossbarLayer) {
        let t = l.adc.thresholds
        self.init(weights: l.weights, recurrentWeights: l.recurrentWeights, bias: l.bias,
                  thresholds: Array(repeating: t, count: l.units))
    }
}

public struct CrossbarRealisation: Sendable, Equatable {
    public var layers: [CrossbarLayerRealisation]
    /// seed of the read-noise draws
    public var seed: UInt64
    public init(layers: [CrossbarLayerRealisation], seed: UInt64 = 1) { self.layers = layers; self.seed = seed }
}

/// One layer's frames.
public struct CrossbarLayerTrace: Sendable, Equatable {
    public var name: String
    /// frames × units: W·x + U·h + b
    public var preActivations: [[Double]]
    /// frames × units: the ADC codes (quantized mode), nil in ideal mode
    public var codes: [[Int]]?
    /// frames × units
    public var outputs: [[Double]]
}

public struct CrossbarTrace: Sendable, Equatable {
    public var frames: Int
    public var layers: [CrossbarLayerTrace]
    public func layer(_ name: String) -> CrossbarLayerTrace? { layers.first { $0.name == name } }
}

public struct CrossbarModel: Sendable {
    public let network: CrossbarNetwork
    public let mode: CrossbarActivationMode

    public init(network: CrossbarNetwork, mode: CrossbarActivationMode = .quantized) {
        self.network = network; self.mode = mode
    }

    /// Runs the stimulus through every layer; `realisation` (one entry per layer) replaces the nominal numbers.
    public func run(_ stimulus: Stimulus, realisation: CrossbarRealisation? = nil) -> CrossbarTrace {
        var rng = SeededGenerator(seed: realisation?.seed ?? 1)
        var x = stimulus.frames
        var traces = [CrossbarLayerTrace]()
        for (k, l) in network.layers.enumerated() {
            let r = realisation?.layers[k] ?? CrossbarLayerRealisation(nominal: l)
            let adc = l.adc
            let n = l.units
            var h = l.initialState ?? Array(repeating: 0, count: n)
            var pre = [[Double]](), out = [[Double]](), codes = [[Int]]()
            pre.reserveCapacity(x.count); out.reserveCapacity(x.count)
            for frame in x {
                var a = r.bias
                for i in 0..<n {
                    var s = 0.0
                    for (j, v) in frame.enumerated() { s += r.weights[i][j] * v }
                    if let u = r.recurrentWeights { for j in 0..<n { s += u[i][j] * h[j] } }
                    a[i] += s
                    if r.readNoiseSigma > 0 { a[i] += r.readNoiseSigma * rng.nextStandardNormal() }
                }
                var y = [Double](repeating: 0, count: n)
                switch mode {
                case .ideal:
                    for i in 0..<n { y[i] = l.activation(min(max(a[i], l.adcRange.lowerBound), l.adcRange.upperBound)) }
                case .quantized:
                    let c = (0..<n).map { RampADC.code(a[$0], thresholds: r.thresholds[$0]) }
                    for i in 0..<n { y[i] = adc.value(code: c[i]) }
                    codes.append(c)
                }
                pre.append(a); out.append(y)
                if l.kind == .rnn { h = y }
            }
            traces.append(CrossbarLayerTrace(name: l.name, preActivations: pre, codes: mode == .quantized ? codes : nil, outputs: out))
            x = out
        }
        return CrossbarTrace(frames: stimulus.count, layers: traces)
    }

    /// One step at a time from the circuit's own values: layer k at frame t sees the circuit's outputs of
    /// layer k − 1 at t (the stimulus for k = 0) and, for a recurrent layer, its own circuit output at t − 1
    /// (the initial state at t = 0). `circuitOutputs[k]` is frames × units. This separates what the circuit gets
    /// wrong in one frame from what it inherits from earlier frames.
    /// `realisation` (read noise ignored) replaces the nominal weights and thresholds, as in `run`.
    public func oneStep(_ stimulus: Stimulus, circuitOutputs: [[[Double]]], realisation: CrossbarRealisation? = nil) -> CrossbarTrace {
        var traces = [CrossbarLayerTrace]()
        for (k, l) in network.layers.enumerated() {
            let r = realisation?.layers[k] ?? CrossbarLayerRealisation(nominal: l)
            let adc = l.adc
            let n = l.units
            var pre = [[Double]](), out = [[Double]](), codes = [[Int]]()
            for t in 0..<stimulus.count {
                let x = k == 0 ? stimulus.frames[t] : circuitOutputs[k - 1][t]
                let h = t == 0 ? (l.initialState ?? Array(repeating: 0, count: n)) : circuitOutputs[k][t - 1]
                var a = r.bias
                for i in 0..<n {
                    for (j, v) in x.enumerated() { a[i] += r.weights[i][j] * v }
                    if let u = r.recurrentWeights { for j in 0..<n { a[i] += u[i][j] * h[j] } }
                }
                let c = (0..<n).map { RampADC.code(a[$0], thresholds: r.thresholds[$0]) }
                pre.append(a); codes.append(c)
                out.append(mode == .quantized ? c.map { adc.value(code: $0) }
                           : a.map { l.activation(min(max($0, l.adcRange.lowerBound), l.adcRange.upperBound)) })
            }
            traces.append(CrossbarLayerTrace(name: l.name, preActivations: pre, codes: mode == .quantized ? codes : nil, outputs: out))
        }
        return CrossbarTrace(frames: stimulus.count, layers: traces)
    }

    /// Inputs outside the network's input range, as (frame, input) pairs (the first `limit`) and a count: the
    /// circuit is characterised for the range only, so callers report these.
    public func inputsOutsideRange(_ stimulus: Stimulus, limit: Int = 10) -> (count: Int, first: [(frame: Int, input: Int, value: Double)]) {
        var count = 0
        var first = [(frame: Int, input: Int, value: Double)]()
        for (t, f) in stimulus.frames.enumerated() {
            for (i, v) in f.enumerated() where !network.inputRange.contains(v) {
                count += 1
                if first.count < limit { first.append((t, i, v)) }
            }
        }
        return (count, first)
    }
}
