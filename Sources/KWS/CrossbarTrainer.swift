// Training a crossbar-RNN keyword spotter: 13 MFCC → crossbar_rnn N (tanh, ramp ADC) → crossbar_dense 2
// (identity ramp ADC; out.0 = other, out.1 = yes), decided like the FQ-BMRU spotter (per-frame argmax,
// majority over the frames). BPTT by hand, Adam with cosine decay and gradient clipping, balanced batches; the last
// part of training runs the forward pass through the ramp ADCs (straight-through gradients: the clamped ideal
// function's), so the exported quantized network keeps its accuracy; weights are clamped to ±weightMax, the
// span a conductance pair realises. Checkpoints are chosen by the quantized model's balanced validation accuracy.
// Deterministic for a seed: batches are split into shards summed in a fixed order.

import BMRUModel
import Foundation

public struct CrossbarTrainerConfig: Sendable, Equatable {
    public var units = 8
    public var adcBits = 5
    public var steps = 3000
    public var batch = 64
    public var learningRate = 0.01
    public var gradientClip = 1.0
    /// from this fraction of the steps on, the forward pass is quantized (straight-through backward)
    public var quantizeFrom = 0.6
    public var weightMax = 4.0
    public var seed: UInt64 = 1
    public var evalEvery = 200
    public var shards = 8
    /// tanh ramp range of the recurrent layer
    public var rnnRange: ClosedRange<Double> = -3...3
    public init() {}
}

/// The network's parameters as plain arrays: W (N × I), U (N × N), b (N), V (2 × N), c (2).
public struct CrossbarSpotter: Sendable, Equatable {
    public var inputs: Int
    public var units: Int
    public var w: [Double], u: [Double], b: [Double], v: [Double], c: [Double]
    /// ADC settings used in the quantized forward pass
    public var adcBits: Int
    public var rnnRange: ClosedRange<Double>
    public var outRange: ClosedRange<Double>

    public init(inputs: Int, units: Int, adcBits: Int, rnnRange: ClosedRange<Double>, seed: UInt64) {
        self.inputs = inputs; self.units = units; self.adcBits = adcBits; self.rnnRange = rnnRange; outRange = -8...8
        var g = SeededGenerator(seed: seed)
        func draw(_ n: Int, _ scale: Double) -> [Double] { (0..<n).map { _ in scale * g.nextStandardNormal() } }
        w = draw(units * inputs, 1 / Double(inputs).squareRoot())
        u = draw(units * units, 0.5 / Double(units).squareRoot())
        b = [Double](repeating: 0, count: units)
        v = draw(2 * units, 1 / Double(units).squareRoot())
        c = [0, 0]
    }

    var parameterCount: Int { w.count + u.count + b.count + v.count + c.count }

    func flat() -> [Double] { w + u + b + v + c }
    mutating func setFlat(_ p: [Double]) {
        var k = 0
        func take(_ n: Int) -> [Double] { defer { k += n }; return Array(p[k..<(k + n)]) }
        w = take(w.count); u = take(u.count); b = take(b.count); v = take(v.count); c = take(c.count)
    }

    /// Forward pass over one clip (frames × inputs, flat); quantized: through the ramp ADCs. Returns the logits
    /// (frames × 2) and what backprop needs.
    func forward(_ x: [Double], frames T: Int, quantized: Bool, rnnADC: RampADC, outADC: RampADC)
        -> (logits: [Double], pre: [Double], h: [Double], outPre: [Double]) {
        let N = units, I = inputs
        var pre = [Double](repeating: 0, count: T * N), h = [Double](repeating: 0, count: T * N)
        var logits = [Double](repeating: 0, count: T * 2), outPre = [Double](repeating: 0, count: T * 2)
        for t in 0..<T {
            for i in 0..<N {
                var a = b[i]
                for j in 0..<I { a += w[i * I + j] * x[t * I + j] }
                if t > 0 { for j in 0..<N { a += u[i * N + j] * h[(t - 1) * N + j] } }
                pre[t * N + i] = a
                h[t * N + i] = quantized ? rnnADC(a) : tanh(min(max(a, rnnRange.lowerBound), rnnRange.upperBound))
            }
            for o in 0..<2 {
                var a = c[o]
                for j in 0..<N { a += v[o * N + j] * h[t * N + j] }
                outPre[t * 2 + o] = a
                logits[t * 2 + o] = quantized ? outADC(a) : a
            }
        }
        return (logits, pre, h, outPre)
    }

    /// Mean per-frame cross-entropy of one clip and its gradient (flat, parameter order w u b v c).
    func lossAndGradient(_ x: [Double], frames T: Int, label: Int, quantized: Bool, rnnADC: RampADC, outADC: RampADC) -> (Double, [Double]) {
        let N = units, I = inputs
        let f = forward(x, frames: T, quantized: quantized, rnnADC: rnnADC, outADC: outADC)
        var gw = [Double](repeating: 0, count: w.count), gu = [Double](repeating: 0, count: u.count)
        var gb = [Double](repeating: 0, count: N), gv = [Double](repeating: 0, count: v.count), gc = [0.0, 0.0]
        var loss = 0.0
        var dhNext = [Double](repeating: 0, count: N)  // dL/dh_t arriving from frame t + 1
        for t in stride(from: T - 1, through: 0, by: -1) {
            let z0 = f.logits[t * 2], z1 = f.logits[t * 2 + 1]
            let m = max(z0, z1)
            let e0 = exp(z0 - m), e1 = exp(z1 - m)
            let p1 = e1 / (e0 + e1)
            loss += -log(max(label == 1 ? p1 : 1 - p1, 1e-300)) / Double(T)
            // dL/dlogit, then through the output ADC (straight through inside its range)
            var dz = [(1 - p1) - (label == 0 ? 1 : 0), p1 - (label == 1 ? 1 : 0)].map { $0 / Double(T) }
            if quantized { for o in 0..<2 where !outRange.contains(f.outPre[t * 2 + o]) { dz[o] = 0 } }
            var dh = dhNext
            for o in 0..<2 {
                gc[o] += dz[o]
                for j in 0..<N { gv[o * N + j] += dz[o] * f.h[t * N + j]; dh[j] += dz[o] * v[o * N + j] }
            }
            // through the activation: d tanh / d pre (0 outside the clamp)
            var da = [Double](repeating: 0, count: N)
            for i in 0..<N {
                let a = f.pre[t * N + i]
                guard rnnRange.contains(a) else { continue }
                let th = tanh(a)
                da[i] = dh[i] * (1 - th * th)
            }
            for i in 0..<N {
                gb[i] += da[i]
                for j in 0..<I { gw[i * I + j] += da[i] * x[t * I + j] }
                if t > 0 { for j in 0..<N { gu[i * N + j] += da[i] * f.h[(t - 1) * N + j] } }
            }
            dhNext = [Double](repeating: 0, count: N)
            if t > 0 { for j in 0..<N { for i in 0..<N { dhNext[j] += da[i] * u[i * N + j] } } }
        }
        return (loss, gw + gu + gb + gv + gc)
    }

    /// Frame-majority decision (1 = yes) of one clip.
    func decide(_ x: [Double], frames T: Int, quantized: Bool, rnnADC: RampADC, outADC: RampADC) -> Int {
        let l = forward(x, frames: T, quantized: quantized, rnnADC: rnnADC, outADC: outADC).logits
        var yes = 0
        for t in 0..<T where l[t * 2 + 1] > l[t * 2] { yes += 1 }
        return yes * 2 > T ? 1 : 0
    }

    /// The spotter as a crossbar-rnn-network.
    public func network(name: String, inputRange: ClosedRange<Double>, metadataJSON: String?) -> CrossbarNetwork {
        let N = units, I = inputs
        let rnn = CrossbarLayer(name: "rnn", kind: .rnn, weights: (0..<N).map { Array(w[($0 * I)..<(($0 + 1) * I)]) },
                                recurrentWeights: (0..<N).map { Array(u[($0 * N)..<(($0 + 1) * N)]) }, bias: b,
                                activation: .tanh, adcBits: adcBits, adcRange: rnnRange)
        let out = CrossbarLayer(name: "out", kind: .dense, weights: (0..<2).map { Array(v[($0 * N)..<(($0 + 1) * N)]) }, bias: c,
                                activation: .identity, adcBits: adcBits, adcRange: outRange)
        return CrossbarNetwork(name: name, inputs: I, framePeriod: 0.01, inputRange: inputRange,
                               conductanceRange: 1e-6...1e-4, layers: [rnn, out], metadataJSON: metadataJSON)
    }
}

public struct CrossbarTrainResult: Sendable {
    public var spotter: CrossbarSpotter
    public var bestStep: Int
    /// balanced validation accuracy of the quantized model at `bestStep`
    public var validationAccuracy: Double
    public var inputRange: ClosedRange<Double>
    /// fraction of training feature values outside `inputRange`
    public var inputsOutside: Double
    public var seconds: Double
}

public enum CrossbarTrainer {
    static func adcs(_ s: CrossbarSpotter) -> (RampADC, RampADC) {
        // swiftlint:disable:next force_try
        (try! RampADC(function: .tanh, bits: s.adcBits, inputRange: s.rnnRange),
         // swiftlint:disable:next force_try
         try! RampADC(function: .identity, bits: s.adcBits, inputRange: s.outRange))
    }

    /// Balanced accuracy (mean of yes recall and other accuracy) on clips.
    public static func balancedAccuracy(_ s: CrossbarSpotter, _ clips: [FeatureClip], quantized: Bool) -> Double {
        let (ra, oa) = adcs(s)
        var ok = [0, 0], n = [0, 0]
        for clip in clips {
            let d = s.decide(clip.features, frames: clip.frames, quantized: quantized, rnnADC: ra, outADC: oa)
            n[clip.label] += 1
            if d == clip.label { ok[clip.label] += 1 }
        }
        let r = (0..<2).map { n[$0] > 0 ? Double(ok[$0]) / Double(n[$0]) : 0 }
        return (r[0] + r[1]) / 2
    }

    /// The value below which `fraction` of |values| lie.
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let a = values.map(abs).sorted()
        guard !a.isEmpty else { return 1 }
        return a[min(a.count - 1, Int(Double(a.count - 1) * fraction))]
    }

    public static func train(dataset: KWSDataset, config cfg: CrossbarTrainerConfig,
                             progress: ((Int, Double, Double?) -> Void)? = nil) throws -> CrossbarTrainResult {
        let started = Date()
        let train = dataset.clips(.train), validation = dataset.balanced(.validation)
        let yes = train.filter { $0.label == 1 }.sorted { $0.id < $1.id }, other = train.filter { $0.label == 0 }.sorted { $0.id < $1.id }
        guard !yes.isEmpty, !other.isEmpty, !validation.isEmpty, let first = train.first else {
            throw KWSError(.training, file: dataset.root, reason: "needs 'yes' and other clips in train and validation splits")
        }
        var s = CrossbarSpotter(inputs: first.coefficients, units: cfg.units, adcBits: cfg.adcBits, rnnRange: cfg.rnnRange, seed: cfg.seed)
        var gen = SeededGenerator(seed: cfg.seed &+ 0x5EED)
        let P = s.parameterCount
        var m1 = [Double](repeating: 0, count: P), m2 = [Double](repeating: 0, count: P)
        var best = (step: -1, acc: -1.0, spotter: s)
        var outScale: [Double] = []
        for step in 0..<cfg.steps {
            let quantized = Double(step) >= cfg.quantizeFrom * Double(cfg.steps)
            if quantized && outScale.isEmpty {
                // the readout ramp spans the logits met so far (99.9th percentile of |logit|, at least 1)
                let (ra, oa) = adcs(s)
                for clip in validation.prefix(200) {
                    outScale += s.forward(clip.features, frames: clip.frames, quantized: false, rnnADC: ra, outADC: oa).outPre
                }
                let span = max(1, (percentile(outScale, 0.999) * 1.1 * 10).rounded(.up) / 10)
                s.outRange = -span...span
                best = (-1, -1, s)  // the range changed: earlier checkpoints are not comparable
            }
            let batch = (0..<cfg.batch).map { k -> FeatureClip in
                let pool = k % 2 == 0 ? yes : other
                return pool[gen.nextInt(below: pool.count)]
            }
            let (ra, oa) = adcs(s)
            let shardSize = (cfg.batch + cfg.shards - 1) / cfg.shards
            var parts = [[Double]](repeating: [], count: cfg.shards)
            let snapshot = s
            parts.withUnsafeMutableBufferPointer { out in
                let slots = ParallelSlots(out)
                DispatchQueue.concurrentPerform(iterations: cfg.shards) { sh in
                    var g = [Double](repeating: 0, count: P)
                    for clip in batch[min(sh * shardSize, batch.count)..<min((sh + 1) * shardSize, batch.count)] {
                        let (_, d) = snapshot.lossAndGradient(clip.features, frames: clip.frames, label: clip.label,
                                                              quantized: quantized, rnnADC: ra, outADC: oa)
                        for k in 0..<P { g[k] += d[k] }
                    }
                    slots[sh] = g
                }
            }
            var grad = [Double](repeating: 0, count: P)
            for part in parts { for k in 0..<P { grad[k] += part[k] / Double(cfg.batch) } }
            let norm = grad.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > cfg.gradientClip { grad = grad.map { $0 * cfg.gradientClip / norm } }
            let lr = cfg.learningRate * (0.05 + 0.95 * 0.5 * (1 + cos(Double.pi * Double(step) / Double(cfg.steps))))
            var p = s.flat()
            let b1 = 0.9, b2 = 0.999
            for k in 0..<P {
                m1[k] = b1 * m1[k] + (1 - b1) * grad[k]
                m2[k] = b2 * m2[k] + (1 - b2) * grad[k] * grad[k]
                let mh = m1[k] / (1 - pow(b1, Double(step + 1))), vh = m2[k] / (1 - pow(b2, Double(step + 1)))
                p[k] = min(max(p[k] - lr * mh / (vh.squareRoot() + 1e-8), -cfg.weightMax), cfg.weightMax)
            }
            s.setFlat(p)
            if quantized && ((step + 1) % cfg.evalEvery == 0 || step + 1 == cfg.steps) {
                let acc = balancedAccuracy(s, validation, quantized: true)
                if acc > best.acc { best = (step + 1, acc, s) }
                progress?(step + 1, norm, acc)
            } else if (step + 1) % cfg.evalEvery == 0 {
                progress?(step + 1, norm, nil)
            }
        }
        let features = train.flatMap(\.features)
        let scale = max(1, (percentile(features, 0.999) * 10).rounded(.up) / 10)
        let outside = Double(features.filter { abs($0) > scale }.count) / Double(max(features.count, 1))
        return CrossbarTrainResult(spotter: best.spotter, bestStep: best.step, validationAccuracy: best.acc,
                                   inputRange: -scale...scale, inputsOutside: outside, seconds: Date().timeIntervalSince(started))
    }
}

/// A crossbar spotter's accuracy on clips, through `CrossbarModel` (the model the co-simulation compares with),
/// decided like every spotter here: per frame the larger output (ties: other), majority over the frames.
public enum CrossbarEvaluation {
    public struct Result: Sendable, Equatable {
        public var balancedAccuracy: Double
        public var yesRecall: Double
        public var otherAccuracy: Double
        public var total: Int
    }

    public static func decide(_ net: CrossbarNetwork, _ clip: FeatureClip, mode: CrossbarActivationMode) -> Int {
        let trace = CrossbarModel(network: net, mode: mode).run(Stimulus(frames: clip.rows, inputs: clip.coefficients))
        let outs = trace.layers.last!.outputs
        let yes = outs.filter { $0.count > 1 && $0[1] > $0[0] }.count
        return yes * 2 > outs.count ? 1 : 0
    }

    public static func evaluate(_ net: CrossbarNetwork, clips: [FeatureClip], mode: CrossbarActivationMode) -> Result {
        var ok = [0, 0], n = [0, 0]
        for c in clips {
            n[c.label] += 1
            if decide(net, c, mode: mode) == c.label { ok[c.label] += 1 }
        }
        let r = (0..<2).map { n[$0] > 0 ? Double(ok[$0]) / Double(n[$0]) : 0 }
        return Result(balancedAccuracy: (r[0] + r[1]) / 2, yesRecall: r[1], otherAccuracy: r[0], total: clips.count)
    }
}
