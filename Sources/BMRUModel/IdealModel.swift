// The ideal first-quadrant BMRU model: the exact software semantics the circuit must reproduce.
//
//   inputs:  x⁺ = max(x, 0)
//   dense:   z = W·in + b;  y = max(z, 0) (relu) or z (identity, last layer only);  y += residual layer's y
//   bmru:    c = max(W·in + b, 0);  s_t = 1 if c > θ_high, 0 if c < θ_low, else s_{t-1};  y = level ⊙ s
//
// Layers have no recurrence except each bmru unit's own state, so the model runs layer by layer over
// all frames. z = b + Σ_i in_i·W[:, i] is accumulated in input order i (zero inputs skipped, which can
// only change the sign of a zero), so results do not depend on the platform's vector width.

/// Trace of one layer over all frames.
public struct LayerTrace: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    /// frame-major: outputs[t][i]. bmru: level·s; dense: y (signed for an identity layer)
    public var outputs: [[Double]]
    /// bmru only: c = max(W·in + b, 0)
    public var candidates: [[Double]]?
    /// bmru only: s (0 or 1)
    public var states: [[Int]]?
}

/// Trace of a whole run.
public struct ModelTrace: Sendable, Equatable {
    public var frames: Int
    public var layers: [LayerTrace]

    /// The layer called `name`, if any.
    public func layer(_ name: String) -> LayerTrace? { layers.first { $0.name == name } }
}

/// Runs a (validated) network on stimuli.
public struct IdealModel: Sendable {
    public let network: Network
    /// per layer: weights transposed, flat, [input][output]
    private let columns: [[Double]]

    public init(network: Network) {
        self.network = network
        columns = network.layers.map { l in
            let m = l.outputs, n = l.inputs
            var t = [Double](repeating: 0, count: m * n)
            for o in 0..<m { for i in 0..<n { t[i * m + o] = l.weights[o][i] } }
            return t
        }
    }

    /// Runs every frame of `stimulus` from the initial states. The stimulus width must equal the
    /// network's inputs (checked with a precondition; validate stimuli before).
    public func run(_ stimulus: Stimulus) -> ModelTrace {
        let flat = runFlat(stimulus)
        let T = stimulus.frames.count
        var traces = [LayerTrace]()
        for (k, l) in network.layers.enumerated() {
            let m = l.outputs
            func rows(_ a: [Double]) -> [[Double]] {
                (0..<T).map { t in Array(a[t * m..<(t + 1) * m]) }
            }
            var tr = LayerTrace(name: l.name, kind: l.kind, outputs: rows(flat.outputs[k]))
            if l.kind == .bmru {
                tr.candidates = rows(flat.candidates[k])
                tr.states = (0..<T).map { t in flat.states[k][t * m..<(t + 1) * m].map { Int($0) } }
            }
            traces.append(tr)
        }
        return ModelTrace(frames: T, layers: traces)
    }

    /// Flat results: per layer, frame-major arrays of T·units values (states as UInt8; candidates and
    /// states empty for dense layers). This is what `run` reshapes; exposed for fast callers.
    public func runFlat(_ stimulus: Stimulus) -> (outputs: [[Double]], candidates: [[Double]], states: [[UInt8]]) {
        precondition(stimulus.inputs == network.inputs, "stimulus has \(stimulus.inputs) inputs, network \(network.inputs)")
        let T = stimulus.frames.count
        var input = [Double](repeating: 0, count: T * network.inputs)
        for (t, row) in stimulus.frames.enumerated() {
            precondition(row.count == network.inputs, "frame \(t) has \(row.count) values")
            for (i, x) in row.enumerated() { input[t * network.inputs + i] = max(x, 0) }
        }
        var outs = [[Double]](), cands = [[Double]](), states = [[UInt8]]()
        var width = network.inputs
        for (k, l) in network.layers.enumerated() {
            let m = l.outputs
            var z = [Double](repeating: 0, count: T * m)
            Self.affine(input: input, width: width, frames: T, columns: columns[k], bias: l.bias, into: &z)
            var out: [Double]
            var cand = [Double](), st = [UInt8]()
            switch l.kind {
            case .dense:
                if l.activation == .relu {
                    for j in 0..<z.count where !(z[j] > 0) { z[j] = 0 }
                }
                if let r = l.residual, let j = network.layers.firstIndex(where: { $0.name == r }) {
                    let res = outs[j]
                    for q in 0..<z.count { z[q] += res[q] }
                }
                out = z
            case .bmru:
                for j in 0..<z.count where !(z[j] > 0) { z[j] = 0 }
                cand = z
                st = [UInt8](repeating: 0, count: T * m)
                out = [Double](repeating: 0, count: T * m)
                let lo = l.thetaLow ?? [], hi = l.thetaHigh ?? [], level = l.level ?? []
                let s0 = l.initialState ?? []
                for u in 0..<m {
                    var s: UInt8 = u < s0.count && s0[u] == 1 ? 1 : 0
                    let a = lo[u], b = hi[u], lv = level[u]
                    var q = u
                    for _ in 0..<T {
                        let c = z[q]
                        if c > b { s = 1 } else if c < a { s = 0 }
                        st[q] = s
                        out[q] = s == 1 ? lv : 0
                        q += m
                    }
                }
            }
            outs.append(out); cands.append(cand); states.append(st)
            input = out
            width = m
        }
        return (outs, cands, states)
    }

    /// z[t][o] = bias[o] + Σ_i input[t][i]·W[o][i], with columns[i*m + o] = W[o][i].
    private static func affine(input: [Double], width n: Int, frames T: Int, columns: [Double], bias: [Double],
                               into z: inout [Double]) {
        let m = bias.count
        input.withUnsafeBufferPointer { x in
            columns.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    z.withUnsafeMutableBufferPointer { zb in
                        for t in 0..<T {
                            let acc = zb.baseAddress! + t * m
                            for o in 0..<m { acc[o] = b[o] }
                            let xt = x.baseAddress! + t * n
                            for i in 0..<n {
                                let xi = xt[i]
                                if xi == 0 { continue }
                                let col = w.baseAddress! + i * m
                                for o in 0..<m { acc[o] += xi * col[o] }
                            }
                        }
                    }
                }
            }
        }
    }
}
