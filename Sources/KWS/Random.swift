// Deterministic random numbers for synthesis and training: labelled streams over BMRUModel.SeededGenerator.
import Foundation
import BMRUModel

struct KWSRandom: RandomNumberGenerator {
    private var g: SeededGenerator
    init(seed: UInt64) { g = SeededGenerator(seed: seed) }
    /// an independent stream derived from a seed and labels (order of use elsewhere does not matter)
    init(seed: UInt64, _ labels: UInt64...) {
        var s = KWSRandom.mix(seed ^ 0x9E37_79B9_7F4A_7C15)
        for l in labels { s = KWSRandom.mix(s ^ KWSRandom.mix(l &+ 0x632B_E59B_D9B4_E019)) }
        g = SeededGenerator(seed: s)
    }
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next() -> UInt64 { g.next() }
    /// uniform in [0, 1) with 53 bits
    mutating func unit() -> Double { g.nextUnitDouble() }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }
    /// integer in 0..<n
    mutating func index(_ n: Int) -> Int { g.nextInt(below: n) }
    /// standard normal (Box–Muller)
    mutating func normal() -> Double {
        // this stream's own order of uniforms (u, then v) keeps trained networks reproducible
        let u = max(unit(), 0x1p-60), v = unit()
        return Gaussian.boxMuller(u, v)
    }
}

/// FNV-1a of a string (stable names for voices).
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}
