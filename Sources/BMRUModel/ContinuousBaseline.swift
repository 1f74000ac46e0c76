// The continuous-state baseline of the noise-immunity study: the same network with every bmru cell replaced by
// a continuous-state analog memory cell of the same thresholds, so that the one difference is that the state is
// an analog quantity instead of one of two restored levels.
//
// Cell (per unit, state u ∈ [0, 1], output level·u; u₀ = the unit's initial state):
//   c_t = max(z_t + n_t, 0)                              z: W·in + b; n: noise at the cell's input
//   u_t = clip(u_{t−1} + κ·(c_t − θ_high)⁺ − κ·(θ_low − c_t)⁺ + m_t / level, 0, 1),   κ = 1 / (θ_high − θ_low)
// It sets where the BMRU sets (c > θ_high) and resets where it resets (c < θ_low), fully within one frame once
// the candidate passes a threshold by the hysteresis width, and between the thresholds it holds its value with
// gain 1, as an analog memory must; m (units) is the noise of re-storing the state each frame (the noise the
// BMRU's latch meets at its state node). What the bistable cell restores to a level, this one keeps.
//
// Noise enters as plain arrays (`InjectedNoise`: per layer index, frame-major T·units, model units), so the
// bistable model and the baseline can be given exactly the same draws.

import Foundation

/// How the bmru layers' cells evolve.
public enum CellDynamics: String, Sendable, Codable {
    /// the FQ-BMRU: binary state with hysteresis (the network's own semantics)
    case bistable
    /// the continuous-state baseline (ContinuousBaseline.swift)
    case continuous
}

/// Noise added inside the model: per bmru layer index k, frame-major arrays of T·units values (model units).
public struct InjectedNoise: Sendable, Equatable {
    /// added to W·in + b before the clip at 0
    public var candidate: [Int: [Double]]
    /// added to the stored state (continuous cells only; a bistable model has no analog state to disturb)
    public var state: [Int: [Double]]
    public init(candidate: [Int: [Double]] = [:], state: [Int: [Double]] = [:]) {
        self.candidate = candidate; self.state = state
    }
}

extension IdealModel {
    /// Runs the network with the given cell dynamics and injected noise. Outputs per layer (frame-major
    /// T·units, as `runFlat`); for continuous cells `states` holds u ≥ 0.5 as 0/1 (for display only).
    public func run(_ stimulus: Stimulus, dynamics: CellDynamics, noise: InjectedNoise)
        -> (outputs: [[Double]], candidates: [[Double]], states: [[UInt8]]) {
        runFlat(stimulus, startStates: nil, dynamics: dynamics, noise: noise)
    }

    /// One layer of continuous cells over all frames; `z` becomes the clipped candidates.
    static func continuousCells(z: inout [Double], frames T: Int, layer l: Layer, start: [UInt8], stateNoise: [Double]?)
        -> ([Double], [UInt8]) {
        let m = l.outputs
        let lo = l.thetaLow ?? [], hi = l.thetaHigh ?? [], level = l.level ?? []
        var u = start.map { Double($0) }
        var out = [Double](repeating: 0, count: T * m), st = [UInt8](repeating: 0, count: T * m)
        let ns = stateNoise.flatMap { $0.count == T * m ? $0 : nil }
        for t in 0..<T {
            for j in 0..<m {
                let q = t * m + j
                let c = z[q] > 0 ? z[q] : 0
                z[q] = c
                let kappa = 1 / max(hi[j] - lo[j], 1e-9)
                var v = u[j] + kappa * max(c - hi[j], 0) - kappa * max(lo[j] - c, 0)
                if let ns { v += ns[q] / max(level[j], 1e-12) }
                u[j] = min(max(v, 0), 1)
                out[q] = level[j] * u[j]
                st[q] = u[j] >= 0.5 ? 1 : 0
            }
        }
        return (out, st)
    }
}
