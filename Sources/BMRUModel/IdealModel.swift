// The ideal first-quadrant BMRU model: the exact software semantics the circuit must reproduce.
//
//   inputs:  x⁺ = max(x, 0)
//   dense:   z = W·in + b;  y = max(z, 0) (relu) or z (identity, last layer only);  y += residual layer's y
//   bmru:    c = max(W·in + b, 0);  s_t = 1 if c > θ_high, 0 if c < θ_low, else s_{t-1};  y = level ⊙ s
//
// Layers have no recurrence except each bmru unit's own state, so the model runs layer by layer over
// all frames. z = b + Σ_i in_i·W[:, i] is accumulated in input order i (zero inputs skipped, which can
// only change the sign of a zero), so results do not depend on the platform's vector width.

import BMRUKernels
import Foundation

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

    public init(name: String, kind: LayerKind, outputs: [[Double]], candidates: [[Double]]? = nil, states: [[Int]]? = nil) {
        self.name = name; self.kind = kind; self.outputs = outputs; self.candidates = candidates; self.states = states
    }
}

/// Trace of a whole run.
public struct ModelTrace: Sendable, Equatable {
    public var frames: Int
    public var layers: [LayerTrace]

    public init(frames: Int, layers: [LayerTrace]) {
        self.frames = frames; self.layers = layers
    }

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
        runFlat(stimulus, startStates: nil)
    }

    /// `runFlat` from other states than the network's initial ones: `startStates[k]` (layer index k, one
    /// 0/1 per unit) replaces layer k's `initialState`.
    func runFlat(_ stimulus: Stimulus, startStates: [Int: [UInt8]]?, dynamics: CellDynamics = .bistable,
                 noise: InjectedNoise = InjectedNoise()) -> (outputs: [[Double]], candidates: [[Double]], states: [[UInt8]]) {
        precondition(stimulus.inputs == network.inputs, "stimulus has \(stimulus.inputs) inputs, network \(network.inputs)")
        let T = stimulus.frames.count
        var input = [Double]()
        input.reserveCapacity(T * network.inputs)
        for (t, row) in stimulus.frames.enumerated() {
            precondition(row.count == network.inputs, "frame \(t) has \(row.count) values")
            for x in row { input.append(x > 0 ? x : 0) }
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
                z.withUnsafeMutableBufferPointer { zp in
                    if l.activation == .relu {
                        for j in 0..<zp.count where !(zp[j] > 0) { zp[j] = 0 }
                    }
                    if let r = l.residual, let j = network.layers.firstIndex(where: { $0.name == r }) {
                        outs[j].withUnsafeBufferPointer { res in
                            for q in 0..<zp.count { zp[q] += res[q] }
                        }
                    }
                }
                out = z
            case .bmru:
                st = [UInt8](repeating: 0, count: T * m)
                out = [Double](repeating: 0, count: T * m)
                let lo = l.thetaLow ?? [], hi = l.thetaHigh ?? [], level = l.level ?? []
                var s = [UInt8](repeating: 0, count: m)
                for (u, v) in (l.initialState ?? []).prefix(m).enumerated() where v == 1 { s[u] = 1 }
                if let start = startStates?[k], start.count == m { s = start }
                if let nc = noise.candidate[k], nc.count == T * m {
                    for q in 0..<(T * m) { z[q] += nc[q] }
                }
                if dynamics == .continuous {
                    (out, st) = Self.continuousCells(z: &z, frames: T, layer: l, start: s, stateNoise: noise.state[k])
                    outs.append(out); cands.append(z); states.append(st)
                    input = out
                    width = m
                    continue
                }
                z.withUnsafeMutableBufferPointer { zp in
                st.withUnsafeMutableBufferPointer { stp in
                out.withUnsafeMutableBufferPointer { op in
                s.withUnsafeMutableBufferPointer { sp in
                lo.withUnsafeBufferPointer { lop in
                hi.withUnsafeBufferPointer { hip in
                level.withUnsafeBufferPointer { lvp in
                    // frame-major: sequential memory access
                    var q = 0
                    for _ in 0..<T {
                        for u in 0..<m {
                            let c = zp[q] > 0 ? zp[q] : 0
                            zp[q] = c
                            if c > hip[u] { sp[u] = 1 } else if c < lop[u] { sp[u] = 0 }
                            stp[q] = sp[u]
                            op[q] = sp[u] == 1 ? lvp[u] : 0
                            q += 1
                        }
                    }
                }}}}}}}
                cand = z
            }
            outs.append(out); cands.append(cand); states.append(st)
            input = out
            width = m
        }
        return (outs, cands, states)
    }

    /// z[t][o] = bias[o] + Σ_i input[t][i]·W[o][i], with columns[i*m + o] = W[o][i].
    /// Frames are independent here, so large runs are split over the processor cores; every frame is
    /// computed the same way whichever thread does it.
    static func affine(input: [Double], width n: Int, frames T: Int, columns: [Double], bias: [Double],
                               into z: inout [Double]) {
        let m = bias.count
        let work = T * m * max(n, 1)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chunks = work < 2_000_000 || cores < 2 ? 1 : min(cores, max(1, T / 64))
        input.withUnsafeBufferPointer { x in
        columns.withUnsafeBufferPointer { w in
        bias.withUnsafeBufferPointer { b in
        z.withUnsafeMutableBufferPointer { zb in
            let p = AffineBuffers(x: x.baseAddress!, w: w.baseAddress!, b: b.baseAddress!, z: zb.baseAddress!)
            if chunks == 1 {
                affineFrames(p.x, n, p.w, p.b, m, p.z, 0..<T)
            } else {
                // each chunk writes its own frames of z and only reads x, w, b
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    affineFrames(p.x, n, p.w, p.b, m, p.z, (T * c / chunks)..<(T * (c + 1) / chunks))
                }
            }
        }}}}
    }

    /// Frames `frames` of the affine map, in the C kernels (see BMRUKernels: the AVX-512 / AVX2 / generic
    /// paths all compute acc = acc + x_i·w in input order with no fused multiply-add, so results are the
    /// same on every machine).
    private static func affineFrames(_ x: UnsafePointer<Double>, _ n: Int, _ wp: UnsafePointer<Double>,
                                     _ bp: UnsafePointer<Double>, _ m: Int, _ z: UnsafeMutablePointer<Double>,
                                     _ frames: Range<Int>) {
        let idx = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
        let val = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        defer { idx.deallocate(); val.deallocate() }
        bmru_affine_frames(x, n, wp, bp, m, z, frames.lowerBound, frames.upperBound, idx, val)
    }

    /// The inner-loop code path in use ("avx512", "avx2" or "generic").
    public static var kernelPath: String { String(cString: bmru_kernel_path()) }

    /// Forces a code path ("generic", "avx2", "avx512", "best"); false when unavailable. Results do not
    /// depend on the path; this is for tests and benchmarks.
    @discardableResult
    public static func selectKernel(_ name: String) -> Bool { bmru_select_kernel(name) != 0 }
}

/// The affine map's buffers, shared by the threads of one call: each thread writes a disjoint range of frames of
/// `z` and only reads the others, and the buffers outlive the call.
private struct AffineBuffers: @unchecked Sendable {
    let x: UnsafePointer<Double>
    let w: UnsafePointer<Double>
    let b: UnsafePointer<Double>
    let z: UnsafeMutablePointer<Double>
}
