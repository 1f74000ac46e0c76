import BMRUModel
import Foundation
import Testing

/// The input-noise draws, recomputed here from the definition written in InputNoise.swift's header, and
/// checked for the statistics a Gaussian front-end noise must have.
@Suite("Input noise")
struct InputNoiseTests {
    /// SplitMix64's output function, written out again from its published constants.
    static func finalizer(_ v: UInt64) -> UInt64 {
        var z = v
        z = (z ^ (z >> 30)) &* 13_787_848_793_156_543_929   // 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 10_723_151_780_598_845_931   // 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    /// The documented draw: key = mix(mix(mix(seed) + t) + i), Box–Muller on two uniforms of SeededGenerator(key).
    static func reference(seed: UInt64, frame t: Int, input i: Int) -> Double {
        let key = finalizer(finalizer(finalizer(seed) &+ UInt64(t)) &+ UInt64(i))
        var g = SeededGenerator(seed: key)
        let a = Double(g.next() >> 11) / 9_007_199_254_740_992, b = Double(g.next() >> 11) / 9_007_199_254_740_992
        return (-2 * log(1 - a)).squareRoot() * cos(2 * Double.pi * b)
    }

    @Test("the noisy stimulus is the documented draw added to every value, clipped at 0")
    func followsTheDefinition() {
        let clean = StimulusFile.random(inputs: 3, frames: 40, seed: 4, density: 0.3)
        let sigma = 0.15, seed: UInt64 = 77
        let noisy = clean.withInputNoise(sigma: sigma, seed: seed)
        #expect(noisy.inputs == 3 && noisy.count == 40)
        var clipped = 0
        for t in 0..<40 {
            for i in 0..<3 {
                let expected = max(clean.frames[t][i] + sigma * Self.reference(seed: seed, frame: t, input: i), 0)
                #expect(noisy.frames[t][i] == expected, "frame \(t) input \(i)")
                if expected == 0 { clipped += 1 }
            }
        }
        // zeros of the clean stimulus (density 0.3) are clipped about half the time: the clipping was exercised
        #expect(clipped > 5)
        #expect(noisy.frames.joined().allSatisfy { $0 >= 0 })
        // the same as InputNoise's scalar form and as a second call (determinism)
        #expect(noisy == InputNoise(sigma: sigma, seed: seed).apply(to: clean))
        #expect(noisy == clean.withInputNoise(sigma: sigma, seed: seed))
        #expect(noisy != clean.withInputNoise(sigma: sigma, seed: seed + 1))
        // σ = 0 leaves the stimulus untouched, negative values included (the network clips those itself)
        let negative = Stimulus(frames: [[-0.2, 0.5]], inputs: 2)
        #expect(negative.withInputNoise(sigma: 0, seed: 1) == negative)
    }

    @Test("a draw depends only on (seed, frame, input): not on the stimulus's length or width")
    func keyedPerFrameAndInput() {
        let small = Stimulus(frames: Array(repeating: [0.5, 0.5], count: 5), inputs: 2)
        let large = Stimulus(frames: Array(repeating: [0.5, 0.5, 0.5, 0.5], count: 20), inputs: 4)
        let a = small.withInputNoise(sigma: 0.1, seed: 9), b = large.withInputNoise(sigma: 0.1, seed: 9)
        for t in 0..<5 { #expect(a.frames[t] == Array(b.frames[t].prefix(2)), "frame \(t)") }
    }

    @Test("draws are N(0, 1): mean, spread, tails, and no correlation between neighbours or seeds")
    func statistics() {
        let n = 20_000
        let z = (0..<n).map { InputNoise.standardNormal(seed: 3, frame: $0 / 4, input: $0 % 4) }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        // standard errors: mean 1/√n, standard deviation ≈ 1/√(2n)
        #expect(abs(mean) < 5 / Double(n).squareRoot(), "mean \(mean)")
        #expect(abs(variance.squareRoot() - 1) < 5 / (2 * Double(n)).squareRoot(), "sd \(variance.squareRoot())")
        // P(|Z| < 1) = 0.682689, P(|Z| > 2) = 0.0455 (binomial standard errors)
        func within(_ frac: Double, _ p: Double) -> Bool { abs(frac - p) < 5 * (p * (1 - p) / Double(n)).squareRoot() }
        #expect(within(Double(z.filter { abs($0) < 1 }.count) / Double(n), 0.682689))
        #expect(within(Double(z.filter { abs($0) > 2 }.count) / Double(n), 0.045500))
        // correlation of neighbouring inputs, neighbouring frames, and neighbouring seeds: |r| < 5/√m
        func r(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
            return sab / (saa * sbb).squareRoot()
        }
        let m = 5000, bound = 5 / Double(m).squareRoot()
        let base = (0..<m).map { InputNoise.standardNormal(seed: 3, frame: $0, input: 0) }
        #expect(abs(r(base, (0..<m).map { InputNoise.standardNormal(seed: 3, frame: $0, input: 1) })) < bound)
        #expect(abs(r(base, (0..<m).map { InputNoise.standardNormal(seed: 3, frame: $0 + 1, input: 0) })) < bound)
        #expect(abs(r(base, (0..<m).map { InputNoise.standardNormal(seed: 4, frame: $0, input: 0) })) < bound)
        // (frame t, input i+1) and (frame t+1, input i) are different draws (the key is not a sum of the two)
        #expect(InputNoise.standardNormal(seed: 3, frame: 0, input: 1) != InputNoise.standardNormal(seed: 3, frame: 1, input: 0))
    }

    @Test("clipping at 0: an input at 0 is clipped half the time, and its mean becomes σ/√(2π)")
    func clippingStatistics() {
        let n = 20_000, sigma = 0.2
        let noisy = Stimulus(frames: Array(repeating: [0.0], count: n), inputs: 1).withInputNoise(sigma: sigma, seed: 12)
        let v = noisy.frames.map { $0[0] }
        #expect(v.allSatisfy { $0 >= 0 })
        let zeros = Double(v.filter { $0 == 0 }.count) / Double(n)
        #expect(abs(zeros - 0.5) < 5 * (0.25 / Double(n)).squareRoot(), "\(zeros)")
        // E[max(σZ, 0)] = σ/√(2π); Var = σ²(1/2 − 1/(2π))
        let mean = v.reduce(0, +) / Double(n)
        let expected = sigma / (2 * Double.pi).squareRoot()
        let se = sigma * ((0.5 - 1 / (2 * Double.pi)) / Double(n)).squareRoot()
        #expect(abs(mean - expected) < 5 * se, "\(mean) vs \(expected)")
    }
}
