import Foundation
// A small deterministic random number generator: SplitMix64 seeding a xoshiro256** state.
// The sequence depends only on the seed (pure integer arithmetic), so it is the same on every platform.

/// Deterministic `RandomNumberGenerator` for a `UInt64` seed.
///
/// Note: the standard library's `Double.random(in:using:)` / `Int.random(in:using:)` are not guaranteed
/// to stay the same across Swift versions; use `nextUnitDouble()` / `nextInt(below:)` where results must
/// be reproducible everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// A generator for one labelled draw, seeded by the first 8 bytes of sha256("<seed>:<label>"): a device's
    /// draw depends on its name and the seed only, not on how many devices come before it.
    public init(seed: UInt64, label: String) {
        var s: UInt64 = 0
        for b in SHA256.digest(Data("\(seed):\(label)".utf8)).prefix(8) { s = s << 8 | UInt64(b) }
        self.init(seed: s)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Standard normal draw: Box–Muller on two uniforms, the first taken as 1 − u so that it lies in (0, 1].
    public mutating func nextStandardNormal() -> Double {
        let u1 = 1 - nextUnitDouble(), u2 = nextUnitDouble()
        return Gaussian.boxMuller(u1, u2)
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    public mutating func nextDouble(in lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUnitDouble()
    }

    /// Uniform in 0..<bound (bound > 0), without modulo bias (rejection sampling).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let r = next()
            if r < limit { return Int(r % b) }
        }
    }
}

/// The one Gaussian transform of the project (input noise, device offsets, training).
public enum Gaussian {
    /// Box–Muller: a standard normal value from `u1` in (0, 1] and `u2` in [0, 1).
    @inline(__always)
    public static func boxMuller(_ u1: Double, _ u2: Double) -> Double {
        (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
