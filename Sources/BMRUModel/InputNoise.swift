// Input-referred (front-end) noise: Gaussian noise arriving with the input currents, one draw per frame and input.
//
// Definition (what every user of it — the circuit-aware model, `bmru cosim --input-noise`, batch jobs — relies
// on, and what the tests recompute):
//   key(seed, t, i) = mix(mix(mix(seed) &+ t) &+ i)          mix: the SplitMix64 finalizer (a bijection of UInt64)
//   g = SeededGenerator(seed: key);  u1 = 1 − g.nextUnitDouble() ∈ (0, 1];  u2 = g.nextUnitDouble() ∈ [0, 1)
//   z = √(−2 ln u1) · cos(2π u2)                              (Box–Muller: z ~ N(0, 1))
//   noisy[t][i] = max(x[t][i] + σ·z, 0)
// A draw depends only on (seed, frame, input): the same frame and input get the same draw whatever the
// stimulus's length or width, and a prefix of a stimulus gets a prefix of the noise.

import Foundation

/// Gaussian noise added to every input of every frame (model units RMS), then clipped at 0 like the network does.
public struct InputNoise: Codable, Equatable, Sendable {
    /// standard deviation, model units per frame and input (≥ 0, finite)
    public var sigma: Double
    public var seed: UInt64

    public init(sigma: Double, seed: UInt64) {
        self.sigma = sigma; self.seed = seed
    }

    /// The SplitMix64 output function: a bijective 64-bit mixer.
    @inlinable
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The key of the draw for (seed, frame, input).
    public static func key(seed: UInt64, frame: Int, input: Int) -> UInt64 {
        mix(mix(mix(seed) &+ UInt64(truncatingIfNeeded: frame)) &+ UInt64(truncatingIfNeeded: input))
    }

    /// The standard normal draw of (seed, frame, input).
    public static func standardNormal(seed: UInt64, frame: Int, input: Int) -> Double {
        var g = SeededGenerator(seed: key(seed: seed, frame: frame, input: input))
        return g.nextStandardNormal()
    }

    /// The noisy value of input `input` in frame `frame` whose clean value is `value`.
    public func apply(_ value: Double, frame: Int, input: Int) -> Double {
        max(value + sigma * Self.standardNormal(seed: seed, frame: frame, input: input), 0)
    }

    /// The stimulus with the noise added to every input of every frame and clipped at 0. σ = 0 returns the
    /// stimulus unchanged (negative inputs stay: the network clips them itself).
    public func apply(to stimulus: Stimulus) -> Stimulus {
        guard sigma > 0 else { return stimulus }
        let rows = stimulus.frames.enumerated().map { t, row in
            row.enumerated().map { i, v in apply(v, frame: t, input: i) }
        }
        return Stimulus(frames: rows, inputs: stimulus.inputs)
    }
}

extension Stimulus {
    /// This stimulus with input-referred noise N(0, σ²) added to every input of every frame, clipped at 0
    /// (`InputNoise`). Deterministic for (seed, frame, input).
    public func withInputNoise(sigma: Double, seed: UInt64) -> Stimulus {
        InputNoise(sigma: sigma, seed: seed).apply(to: self)
    }
}
