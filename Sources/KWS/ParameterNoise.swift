// Parameter-noise robustness (the published experiment): every parameter of the network multiplied by
// (1 + ε), ε ~ N(0, (p/3)²) drawn independently per parameter and trial, and the spotter's accuracy on clips,
// for the FQ-BMRU network and for the same network with continuous-state cells (BMRUModel/ContinuousBaseline).
//
// Parameters: every weight and bias, θ_low, θ_high and level. A draw that puts θ_low above θ_high sets
// θ_low = θ_high (no hysteresis; the format requires θ_low ≤ θ_high). Draw (trial k, parameter q in a fixed
// order: layers in order; weights row by row, bias, θ_low, θ_high, level): InputNoise.standardNormal(seed',
// k, q) with seed' = mix(seed ^ percent·1000). Decisions: per frame the output with the largest value (the
// first on a tie), majority vote over the frames (ties to the lower class), as `bmru kws eval`.

import BMRUModel
import Foundation

public struct ParameterNoiseRow: Codable, Equatable, Sendable {
    /// p, percent (σ of ε is p/3 %)
    public var percent: Double
    /// "bistable" (FQ-BMRU) or "continuous" (the baseline)
    public var dynamics: String
    public var accuracies: [Double]
    public var mean: Double
    public var std: Double
}

public enum ParameterNoise {
    /// `network` with every parameter scaled by (1 + σ·z), σ = percent / 300.
    public static func perturbed(_ network: Network, percent: Double, trial: Int, seed: UInt64) -> Network {
        let sigma = percent / 300
        let s = InputNoise.mix(seed ^ UInt64(max(0, (percent * 1000).rounded())))
        var q = 0
        func scale(_ v: Double) -> Double {
            defer { q += 1 }
            return v * (1 + sigma * InputNoise.standardNormal(seed: s, frame: trial, input: q))
        }
        var n = network
        for k in n.layers.indices {
            var l = n.layers[k]
            l.weights = l.weights.map { $0.map(scale) }
            l.bias = l.bias.map(scale)
            if let lo = l.thetaLow, let hi = l.thetaHigh, let lv = l.level {
                let newLo = lo.map(scale), newHi = hi.map(scale)
                l.thetaLow = zip(newLo, newHi).map { min($0, $1) }
                l.thetaHigh = newHi
                l.level = lv.map(scale)
            }
            n.layers[k] = l
        }
        return n
    }

    /// The majority-vote decision of the last layer's outputs (frame-major, `classes` per frame).
    public static func decision(_ outputs: [Double], frames: Int, classes: Int) -> Int {
        var votes = [Int](repeating: 0, count: classes)
        for t in 0..<frames {
            var best = 0
            for j in 1..<classes where outputs[t * classes + j] > outputs[t * classes + best] { best = j }
            votes[best] += 1
        }
        var best = 0
        for j in 1..<classes where votes[j] > votes[best] { best = j }
        return best
    }

    /// Accuracy of `network` with `dynamics` on `clips`.
    public static func accuracy(_ network: Network, dynamics: CellDynamics, clips: [FeatureClip]) -> Double {
        let model = IdealModel(network: network)
        return accuracy(classes: network.layers.last?.outputs ?? 2, clips: clips) {
            model.run($0, dynamics: dynamics, noise: InjectedNoise()).outputs.last ?? []
        }
    }

    /// Accuracy of any model on `clips`: `outputs(stimulus)` gives the last layer's outputs, frame-major.
    public static func accuracy(classes: Int, clips: [FeatureClip], outputs: (Stimulus) -> [Double]) -> Double {
        var correct = 0
        for c in clips {
            let rows = (0..<c.frames).map { t in Array(c.features[t * c.coefficients..<(t + 1) * c.coefficients]) }
            if decision(outputs(Stimulus(frames: rows, inputs: c.coefficients)), frames: c.frames, classes: classes) == c.label { correct += 1 }
        }
        return clips.isEmpty ? 0 : Double(correct) / Double(clips.count)
    }

    /// Another model to put through the experiment: `make(network)` builds it for a (perturbed) network and
    /// returns its last-layer outputs per stimulus (for example the circuit-aware model of that network).
    public struct Model {
        public var name: String
        public var make: (Network) throws -> (Stimulus) -> [Double]
        public init(name: String, make: @escaping (Network) throws -> (Stimulus) -> [Double]) { self.name = name; self.make = make }
    }

    /// The experiment: for p in `percents` (0 is the unperturbed network, one trial), `trials` draws, both dynamics.
    public static func study(_ network: Network, clips: [FeatureClip], percents: [Double], trials: Int, seed: UInt64,
                             models extra: [Model] = [], progress: (Int, Int) -> Void = { _, _ in }) throws -> [ParameterNoiseRow] {
        var rows: [ParameterNoiseRow] = []
        let kinds = [CellDynamics.bistable.rawValue, CellDynamics.continuous.rawValue] + extra.map(\.name)
        let total = percents.reduce(0) { $0 + ($1 == 0 ? 1 : trials) } * kinds.count
        let classes = network.layers.last?.outputs ?? 2
        var done = 0
        for p in percents {
            for kind in kinds {
                let n = p == 0 ? 1 : trials
                let acc = try (0..<n).map { k -> Double in
                    defer { done += 1; progress(done, total) }
                    let net = p == 0 ? network : perturbed(network, percent: p, trial: k, seed: seed)
                    if let dyn = CellDynamics(rawValue: kind) { return accuracy(net, dynamics: dyn, clips: clips) }
                    let run = try extra.first { $0.name == kind }!.make(net)
                    return accuracy(classes: classes, clips: clips, outputs: run)
                }
                let mean = acc.reduce(0, +) / Double(n)
                let std = n > 1 ? (acc.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot() : 0
                rows.append(.init(percent: p, dynamics: kind, accuracies: acc, mean: mean, std: std))
            }
        }
        return rows
    }
}
