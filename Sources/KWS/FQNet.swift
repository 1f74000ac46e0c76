// The trainable FQ-BMRU network: flat parameters, forward pass with a tape, and backpropagation
// through time with surrogate gradients for the Heaviside steps.
import Foundation
import BMRUModel

/// How the steps of a bmru unit are evaluated.
public enum StepFunction: Sendable, Equatable {
    /// Heaviside in the forward pass; backward uses the derivative of the arctan-shaped surrogate
    /// H(x) ≈ 1/2 + atan(π/2 · scale · x)/π, i.e. (scale/2) / (1 + (π/2 · scale · x)^2).
    case heaviside(surrogateScale: Double)
    /// Test-only: a logistic sigmoid σ(steepness·x) in forward and backward, so gradients are exact.
    case sigmoid(steepness: Double)
}

/// Layer description inside `FQNet` (parameter offsets into the flat vector).
struct FQLayer: Sendable {
    var name: String
    var kind: LayerKind
    var inputs: Int, outputs: Int
    var activation: Activation
    /// index of the layer whose output is added (dense only), or nil
    var residual: Int?
    var initialState: [Double]
    /// offsets: weights (outputs × inputs, row-major), bias, and for bmru θ_low, width = θ_high − θ_low, level
    var w: Int, b: Int, thLow: Int, thWidth: Int, level: Int
}

/// A network in trainable form. Parameters are flat so optimiser, clipping and reduction are simple.
public struct FQNet: Sendable {
    var layers: [FQLayer]
    public var inputs: Int
    public var params: [Double]
    public var parameterCount: Int { params.count }
    public var outputs: Int { layers.last?.outputs ?? 0 }

    /// The architecture: inputs -> dense(width) -> [bmru(state) -> dense(width) relu + residual] × blocks
    /// -> dense(classes) identity. Random initialisation from `seed`.
    public init(inputs: Int, width: Int, state: Int, blocks: Int, classes: Int, seed: UInt64) {
        self.inputs = inputs
        layers = []
        params = []
        var r = KWSRandom(seed: seed, 10)
        func add(_ name: String, _ kind: LayerKind, _ nin: Int, _ nout: Int, _ act: Activation, _ res: Int?) {
            let w = params.count
            let bound = (3.0 / Double(nin)).squareRoot()
            for _ in 0..<(nin * nout) { params.append(r.uniform(-bound, bound)) }
            let b = params.count
            for _ in 0..<nout { params.append(kind == .bmru ? r.uniform(0.3, 0.8) : r.uniform(0, 0.2)) }
            var lo = -1, wd = -1, lv = -1
            if kind == .bmru {
                lo = params.count; for _ in 0..<nout { params.append(r.uniform(0.3, 0.7)) }
                wd = params.count; for _ in 0..<nout { params.append(r.uniform(0.2, 0.5)) }
                lv = params.count; for _ in 0..<nout { params.append(1.0) }
            }
            layers.append(FQLayer(name: name, kind: kind, inputs: nin, outputs: nout, activation: act, residual: res,
                                  initialState: [Double](repeating: 0, count: kind == .bmru ? nout : 0),
                                  w: w, b: b, thLow: lo, thWidth: wd, level: lv))
        }
        add("pre", .dense, inputs, width, .relu, nil)
        var blockInput = 0
        for k in 1...max(1, blocks) {
            add("cell\(k)", .bmru, width, state, .relu, nil)
            add("post\(k)", .dense, state, width, .relu, blockInput)
            blockInput = layers.count - 1
        }
        add("out", .dense, width, classes, .identity, nil)
    }

    /// Any network made of dense and bmru layers (residuals allowed), e.g. one read from a file.
    public init(network: Network) throws {
        inputs = network.inputs
        layers = []; params = []
        for (li, l) in network.layers.enumerated() {
            guard !l.weights.isEmpty, l.weights.allSatisfy({ $0.count == l.inputs }), l.bias.count == l.outputs else {
                throw KWSError(.training, file: network.name, reason: "layer \(l.name) has inconsistent shapes")
            }
            let w = params.count
            for row in l.weights { params += row }
            let b = params.count
            params += l.bias
            var lo = -1, wd = -1, lv = -1
            var initial: [Double] = []
            if l.kind == .bmru {
                guard let tl = l.thetaLow, let th = l.thetaHigh, let lev = l.level,
                      tl.count == l.outputs, th.count == l.outputs, lev.count == l.outputs else {
                    throw KWSError(.training, file: network.name, reason: "bmru layer \(l.name) lacks thresholds or levels")
                }
                lo = params.count; params += tl
                wd = params.count; params += zip(th, tl).map { $0 - $1 }
                lv = params.count; params += lev
                initial = (l.initialState ?? [Int](repeating: 0, count: l.outputs)).map(Double.init)
            }
            var res: Int? = nil
            if let rn = l.residual {
                guard let ri = network.layers[0..<li].firstIndex(where: { $0.name == rn }) else {
                    throw KWSError(.training, file: network.name, reason: "layer \(l.name): residual '\(rn)' is not an earlier layer")
                }
                res = ri
            }
            layers.append(FQLayer(name: l.name, kind: l.kind, inputs: l.inputs, outputs: l.outputs,
                                  activation: l.activation, residual: res, initialState: initial,
                                  w: w, b: b, thLow: lo, thWidth: wd, level: lv))
        }
    }

    /// The network in file form (θ_high = θ_low + width).
    public func network(name: String, metadataJSON: String?) -> Network {
        let ls = layers.map { l -> Layer in
            let weights = (0..<l.outputs).map { j in Array(params[(l.w + j * l.inputs)..<(l.w + (j + 1) * l.inputs)]) }
            let bias = Array(params[l.b..<(l.b + l.outputs)])
            if l.kind == .bmru {
                let lo = Array(params[l.thLow..<(l.thLow + l.outputs)])
                let hi = (0..<l.outputs).map { lo[$0] + params[l.thWidth + $0] }
                return Layer(name: l.name, kind: .bmru, weights: weights, bias: bias,
                             thetaLow: lo, thetaHigh: hi, level: Array(params[l.level..<(l.level + l.outputs)]),
                             initialState: l.initialState.map { Int($0) })
            }
            return Layer(name: l.name, kind: .dense, weights: weights, bias: bias, activation: l.activation,
                         residual: l.residual.map { layers[$0].name })
        }
        return Network(name: name, unitCurrent: 1e-9, framePeriod: 0.01, inputs: inputs, layers: ls, metadataJSON: metadataJSON)
    }

    /// Indices of parameters that are weights or biases (decayed, clamped, snapped) in the flat vector.
    var weightIndices: [Int] {
        layers.flatMap { l in Array(l.w..<(l.b + l.outputs)) }
    }
}

/// Per-thread scratch buffers for one clip: the tape of the forward pass and the gradient carries.
/// Flat storage; layer li's per-frame values start at `frames * off[li]`, per-unit values at `off[li]`.
final class FQTape {
    let frames: Int
    let inputs: Int
    let off: [Int]
    let units: Int
    let x: UnsafeMutablePointer<Double>      // clipped input, frames × inputs
    let act: UnsafeMutablePointer<Double>    // layer outputs y
    let pre: UnsafeMutablePointer<Double>    // z (dense) or candidate pre-activation (bmru)
    let u: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>
    let gAct: UnsafeMutablePointer<Double>   // gradient of each layer's output at the current frame
    let gCarry: UnsafeMutablePointer<Double> // bmru: dL/ds_t flowing back to frame t-1
    let gLogits: UnsafeMutablePointer<Double>

    init(net: FQNet, frames: Int) {
        self.frames = frames
        inputs = net.inputs
        var o: [Int] = [], n = 0
        for l in net.layers { o.append(n); n += l.outputs }
        off = o; units = n
        func alloc(_ c: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, c)); p.initialize(repeating: 0, count: max(1, c)); return p
        }
        x = alloc(frames * net.inputs)
        act = alloc(frames * n); pre = alloc(frames * n); u = alloc(frames * n); v = alloc(frames * n); s = alloc(frames * n)
        gAct = alloc(n); gCarry = alloc(n)
        gLogits = alloc(frames * (net.layers.last?.outputs ?? 1))
    }
    deinit {
        for p in [x, act, pre, u, v, s, gAct, gCarry, gLogits] { p.deallocate() }
    }
    /// layer li's values as [frame][unit] (tests and inspection)
    func rows(_ p: UnsafeMutablePointer<Double>, layer li: Int, width: Int) -> [Double] {
        Array(UnsafeBufferPointer(start: p + frames * off[li], count: frames * width))
    }
}

extension FQNet {
    @inline(__always) static func step(_ x: Double, _ f: StepFunction, strict: Bool) -> Double {
        switch f {
        case .heaviside: return strict ? (x > 0 ? 1 : 0) : (x >= 0 ? 1 : 0)
        case .sigmoid(let k): return 1 / (1 + exp(-k * x))
        }
    }
    @inline(__always) static func stepDerivative(_ x: Double, value: Double, _ f: StepFunction) -> Double {
        switch f {
        case .heaviside(let a):
            let q = Double.pi / 2 * a * x
            return (a / 2) / (1 + q * q)
        case .sigmoid(let k): return k * value * (1 - value)
        }
    }

    /// Forward pass over one clip (features frame-major, frames × inputs), recording the tape.
    /// The relaxed recursion s_t = hold·s_{t−1} + (1 − hold)·(v + ε·s_{t−1}) with hold = u·(1 − v),
    /// u = H(c − θ_low) (c ≥ θ_low), v = H(c − θ_high) (c > θ_high); ε = 0 is the exact FQ-BMRU.
    func forward(_ features: ArraySlice<Double>, tape: FQTape, epsilon: Double, step f: StepFunction) {
        let T = tape.frames, nin = inputs
        var k = 0
        for i in features.indices { tape.x[k] = max(features[i], 0); k += 1 }
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            for (li, l) in layers.enumerated() {
                let nout = l.outputs, ni = l.inputs
                let src = li == 0 ? tape.x : tape.act + T * tape.off[li - 1]
                let srcW = li == 0 ? nin : ni
                let base = T * tape.off[li]
                let res = l.residual.map { tape.act + T * tape.off[$0] }
                for t in 0..<T {
                    let xin = src + t * srcW
                    for j in 0..<nout {
                        var z = p[l.b + j]
                        let wrow = p + l.w + j * ni
                        for i in 0..<ni { z += wrow[i] * xin[i] }
                        let o = base + t * nout + j
                        tape.pre[o] = z
                        if l.kind == .dense {
                            var y = l.activation == .relu ? max(z, 0) : z
                            if let r = res { y += r[t * nout + j] }
                            tape.act[o] = y
                        } else {
                            let c = max(z, 0)
                            let lo = p[l.thLow + j], hi = lo + p[l.thWidth + j]
                            let uu = FQNet.step(c - lo, f, strict: false)
                            let vv = FQNet.step(c - hi, f, strict: true)
                            let hold = uu * (1 - vv)
                            let sp = t > 0 ? tape.s[o - nout] : l.initialState[j]
                            let ss = hold * sp + (1 - hold) * (vv + epsilon * sp)
                            tape.u[o] = uu; tape.v[o] = vv; tape.s[o] = ss
                            tape.act[o] = p[l.level + j] * ss
                        }
                    }
                }
            }
        }
    }

    /// Per-frame softmax cross-entropy of the last layer; returns (summed loss over frames, frames voting
    /// for each class). When `gradScale` is non-nil, writes gradScale·dL/dlogits into tape.gLogits.
    func frameLoss(tape: FQTape, label: Int, gradScale: Double?, weights: [Double]? = nil) -> (loss: Double, votes: [Int]) {
        let li = layers.count - 1, n = layers[li].outputs
        let out = tape.act + tape.frames * tape.off[li]
        var loss = 0.0
        var votes = [Int](repeating: 0, count: n)
        for t in 0..<tape.frames {
            let o = t * n
            var m = -Double.infinity, arg = 0
            for j in 0..<n where out[o + j] > m { m = out[o + j]; arg = j }
            votes[arg] += 1
            var sum = 0.0
            for j in 0..<n { sum += exp(out[o + j] - m) }
            let wt = weights?[t] ?? 1
            loss += -(out[o + label] - m - log(sum)) * wt
            if let g0 = gradScale {
                let g = g0 * wt
                for j in 0..<n {
                    let pj = exp(out[o + j] - m) / sum
                    tape.gLogits[o + j] = g * (pj - (j == label ? 1 : 0))
                }
            }
        }
        return (loss, votes)
    }

    /// Backpropagation through time from tape.gLogits; adds dL/dparams into `grad`. With `powerGrad` > 0 it
    /// also adds powerGrad × the gradient of the dense layers' current (`denseCurrent`, see `lossAndGradient`).
    func backward(tape: FQTape, epsilon: Double, step f: StepFunction, grad: UnsafeMutablePointer<Double>,
                  powerGrad pw: Double = 0) {
        let T = tape.frames, nin = inputs
        let L = layers.count
        for q in 0..<tape.units { tape.gCarry[q] = 0 }
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            let nLast = layers[L - 1].outputs
            for t in stride(from: T - 1, through: 0, by: -1) {
                for q in 0..<tape.units { tape.gAct[q] = 0 }
                for j in 0..<nLast { tape.gAct[tape.off[L - 1] + j] = tape.gLogits[t * nLast + j] }
                for li in stride(from: L - 1, through: 0, by: -1) {
                    let l = layers[li]
                    let nout = l.outputs, ni = l.inputs
                    let base = T * tape.off[li]
                    let gA = tape.gAct + tape.off[li]
                    let src = li == 0 ? tape.x + t * nin : tape.act + T * tape.off[li - 1] + t * ni
                    let gPrev: UnsafeMutablePointer<Double>? = li == 0 ? nil : tape.gAct + tape.off[li - 1]
                    for j in 0..<nout {
                        let o = base + t * nout + j
                        let gy = gA[j]
                        var gz: Double
                        if l.kind == .dense {
                            if let r = l.residual { tape.gAct[tape.off[r] + j] += gy }
                            gz = (l.activation == .relu && tape.pre[o] <= 0) ? 0 : gy
                        } else {
                            let ss = tape.s[o]
                            let carry = tape.gCarry + tape.off[li] + j
                            let gs = p[l.level + j] * gy + carry.pointee
                            grad[l.level + j] += gy * ss
                            let uu = tape.u[o], vv = tape.v[o]
                            let hold = uu * (1 - vv)
                            let sp = t > 0 ? tape.s[o - nout] : l.initialState[j]
                            let gHold = gs * (sp - vv - epsilon * sp)
                            let gu = gHold * (1 - vv)
                            let gv = gs * (1 - hold) - gHold * uu
                            carry.pointee = gs * (hold + (1 - hold) * epsilon)
                            let z = tape.pre[o], c = max(z, 0)
                            let lo = p[l.thLow + j], hi = lo + p[l.thWidth + j]
                            let du = FQNet.stepDerivative(c - lo, value: uu, f)
                            let dv = FQNet.stepDerivative(c - hi, value: vv, f)
                            let gc = gu * du + gv * dv
                            grad[l.thLow + j] -= gc     // ∂u/∂θ_low = −du, ∂v/∂θ_low = −dv (θ_high = θ_low + width)
                            grad[l.thWidth + j] -= gv * dv
                            gz = z > 0 ? gc : 0
                        }
                        if pw > 0 && l.kind == .dense {
                            // the current the layer's mirrors draw: Σ_i max(w_ij, 0)·x_i + max(b_j, 0)
                            let wr = p + l.w + j * ni, gw = grad + l.w + j * ni
                            if p[l.b + j] > 0 { grad[l.b + j] += pw }
                            for i in 0..<ni where wr[i] > 0 {
                                gw[i] += pw * src[i]
                                if let gp = gPrev { gp[i] += pw * wr[i] }
                            }
                        }
                        if gz == 0 { continue }
                        grad[l.b + j] += gz
                        let wrow = l.w + j * ni
                        let gw = grad + wrow
                        for i in 0..<ni { gw[i] += gz * src[i] }
                        if let gp = gPrev {
                            let w = p + wrow
                            for i in 0..<ni { gp[i] += gz * w[i] }
                        }
                    }
                }
            }
        }
    }

    /// Loss (mean over frames) and its gradient (times `scale`) added into `grad`, for one clip.
    /// With `powerWeight` λ > 0 the loss also has λ × the mean over frames of the current the dense layers'
    /// mirrors draw, in units: Σ_layers Σ_j (Σ_i max(w_ij, 0)·x_i + max(b_j, 0)). The emitted dense layer
    /// takes its supply current through a PMOS sum diode fed by the positive weights and bias and a PMOS copy
    /// of it, so its supply current is about twice this sum (measured on the shipped spotter's first layer:
    /// 61.7 nA against 2 × 31.9).
    func lossAndGradient(_ features: ArraySlice<Double>, label: Int, tape: FQTape, epsilon: Double,
                         step f: StepFunction, grad: UnsafeMutablePointer<Double>, scale: Double,
                         frameWeights: [Double]? = nil, powerWeight: Double = 0) -> (loss: Double, votes: [Int], current: Double) {
        forward(features, tape: tape, epsilon: epsilon, step: f)
        let T = Double(tape.frames)
        let r = frameLoss(tape: tape, label: label, gradScale: scale / T, weights: frameWeights)
        backward(tape: tape, epsilon: epsilon, step: f, grad: grad, powerGrad: powerWeight * scale / T)
        let current = powerWeight > 0 ? denseCurrent(tape: tape) / T : 0
        return (r.loss / T + powerWeight * current, r.votes, current)
    }

    /// The dense layers' mirror current of the clip on the tape (after `forward`), summed over frames, in
    /// units: Σ_t Σ_layers Σ_j (Σ_i max(w_ij, 0)·x_i + max(b_j, 0)) — the quantity `powerWeight` penalises.
    func denseCurrent(tape: FQTape) -> Double {
        let T = tape.frames
        var sum = 0.0
        for (li, l) in layers.enumerated() where l.kind == .dense {
            let src = li == 0 ? tape.x : tape.act + T * tape.off[li - 1]
            for t in 0..<T {
                let xin = src + t * l.inputs
                for j in 0..<l.outputs {
                    sum += max(params[l.b + j], 0)
                    for i in 0..<l.inputs where params[l.w + j * l.inputs + i] > 0 { sum += params[l.w + j * l.inputs + i] * xin[i] }
                }
            }
        }
        return sum
    }

    /// Decision of the exact network (ε = 0, Heaviside) on one clip: the class with most frame votes
    /// (ties go to the lower class index), plus the per-frame logits.
    public func decide(_ features: [Double], frames: Int) -> (decision: Int, votes: [Int], logits: [[Double]]) {
        decide(features, tape: FQTape(net: self, frames: frames))
    }

    func decide(_ features: [Double], tape: FQTape) -> (decision: Int, votes: [Int], logits: [[Double]]) {
        forward(features[...], tape: tape, epsilon: 0, step: .heaviside(surrogateScale: 1))
        let r = frameLoss(tape: tape, label: 0, gradScale: nil)
        var best = 0
        for j in 1..<r.votes.count where r.votes[j] > r.votes[best] { best = j }
        let n = outputs
        let out = tape.act + tape.frames * tape.off[layers.count - 1]
        let logits = (0..<tape.frames).map { t in (0..<n).map { out[t * n + $0] } }
        return (best, r.votes, logits)
    }
}
