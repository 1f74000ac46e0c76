// Parameter-noise robustness: the draws against their written definition (σ = p/3 %, per parameter and
// trial, θ_low ≤ θ_high kept), the decision rule on hand-made outputs, and accuracy on hand-made clips.
import BMRUModel
import KWS
import Testing

@Suite("Parameter noise")
struct ParameterNoiseTests {
    /// 13 inputs → dense relu 40 → bmru 40 → dense identity 2: enough parameters for the statistics
    static func network() -> Network {
        var g = SeededGenerator(seed: 5)
        func u() -> Double { g.nextDouble(in: 0.2, 1.0) }
        let pre = Layer(name: "pre", kind: .dense, weights: (0..<40).map { _ in (0..<13).map { _ in u() } }, bias: (0..<40).map { _ in u() })
        let cell = Layer(name: "cell", kind: .bmru, weights: (0..<40).map { _ in (0..<40).map { _ in u() } }, bias: (0..<40).map { _ in u() },
                         thetaLow: [Double](repeating: 0.5, count: 40), thetaHigh: [Double](repeating: 0.51, count: 40),
                         level: (0..<40).map { _ in u() }, initialState: [Int](repeating: 0, count: 40))
        let out = Layer(name: "out", kind: .dense, weights: (0..<2).map { _ in (0..<40).map { _ in u() } }, bias: [0, 0], activation: .identity)
        return Network(name: "p", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 13, layers: [pre, cell, out])
    }

    @Test("each parameter × (1 + N(0, (p/3)²)): the ratios' standard deviation is p/300; p = 0 changes nothing; same seed, same draw")
    func draws() {
        let n = Self.network()
        #expect(ParameterNoise.perturbed(n, percent: 0, trial: 3, seed: 1) == n)
        let p = ParameterNoise.perturbed(n, percent: 15, trial: 0, seed: 1)
        #expect(p == ParameterNoise.perturbed(n, percent: 15, trial: 0, seed: 1))
        #expect(p != ParameterNoise.perturbed(n, percent: 15, trial: 1, seed: 1))
        var ratios: [Double] = []
        for (a, b) in zip(n.layers, p.layers) {
            for (ra, rb) in zip(a.weights, b.weights) { for (x, y) in zip(ra, rb) { ratios.append(y / x - 1) } }
            for (x, y) in zip(a.bias, b.bias) where x != 0 { ratios.append(y / x - 1) }
            for (x, y) in zip(a.level ?? [], b.level ?? []) { ratios.append(y / x - 1) }
        }
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        let sd = (ratios.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ratios.count - 1)).squareRoot()
        // zero parameters stay zero (the read-out bias); 2200 draws: the sample σ is within about 3 % of 0.05 (its standard error is σ/√(2n) = 1.5 %)
        #expect(ratios.count > 2000)
        #expect(abs(sd - 0.05) < 0.005, "σ of the ratios \(sd)")
        #expect(abs(mean) < 0.005, "mean \(mean)")
        // θ 0.5 / 0.51 with 5 % noise cross often: θ_low is clipped to θ_high, never above it
        let c = p.layers[1]
        #expect(zip(c.thetaLow!, c.thetaHigh!).allSatisfy { $0 <= $1 })
        #expect(zip(c.thetaLow!, c.thetaHigh!).contains { $0 == $1 }, "no crossing: the check is vacuous")
    }

    @Test("the decision: per-frame argmax (first on a tie), majority vote (lower class on a tie)")
    func decision() {
        // frames: yes, other, yes (tie in frame 2 → other)... votes other 2 (frames 1, 2), yes 1 → other
        #expect(ParameterNoise.decision([0, 1, 1, 0, 0.5, 0.5], frames: 3, classes: 2) == 0)
        #expect(ParameterNoise.decision([0, 1, 1, 0, 0.4, 0.5], frames: 3, classes: 2) == 1)
        #expect(ParameterNoise.decision([0, 1, 1, 0], frames: 2, classes: 2) == 0)   // 1-1 tie → other
    }

    @Test("accuracy on hand-made clips: a network that says yes when input 0 is high")
    func accuracy() {
        // one input → bmru (θ 0.4/0.6) → out: [1 − 2s... ] identity: other = 0.5, yes = s
        let net = Network(name: "a", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "cell", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [0.4], thetaHigh: [0.6], level: [1], initialState: [0]),
            Layer(name: "out", kind: .dense, weights: [[0], [1]], bias: [0.5, 0], activation: .identity),
        ])
        let yes = FeatureClip(id: "y", word: .yes, split: .test, frames: 3, coefficients: 1, features: [0.9, 0.9, 0.5])
        let no = FeatureClip(id: "n", word: .no, split: .test, frames: 3, coefficients: 1, features: [0.1, 0.5, 0.5])
        let wrong = FeatureClip(id: "w", word: .yes, split: .test, frames: 3, coefficients: 1, features: [0.1, 0.1, 0.9])
        #expect(ParameterNoise.accuracy(net, dynamics: .bistable, clips: [yes, no, wrong]) == 2.0 / 3)
        // continuous cells: c = 0.9 gives u = 1 at once (κ = 5, 0.3·5 ≥ 1), held at 0.5: the same decisions
        #expect(ParameterNoise.accuracy(net, dynamics: .continuous, clips: [yes, no, wrong]) == 2.0 / 3)
    }

    @Test("an extra model in the study is evaluated like the built-in ones: the ideal model given as one gives the bistable rows")
    func extraModel() throws {
        let net = Network(name: "a", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "cell", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [0.4], thetaHigh: [0.6], level: [1], initialState: [0]),
            Layer(name: "out", kind: .dense, weights: [[0], [1]], bias: [0.5, 0], activation: .identity),
        ])
        var g = SeededGenerator(seed: 3)
        let clips = (0..<40).map { k in
            FeatureClip(id: "\(k)", word: k % 2 == 0 ? .yes : .no, split: .test, frames: 5, coefficients: 1,
                        features: (0..<5).map { _ in g.nextDouble(in: 0, 1) })
        }
        let same = ParameterNoise.Model(name: "ideal_again") { n in
            let m = IdealModel(network: n)
            return { m.run($0).layers.last!.outputs.flatMap { $0 } }
        }
        let rows = try ParameterNoise.study(net, clips: clips, percents: [0, 15], trials: 3, seed: 2, models: [same])
        for p in [0.0, 15] {
            let a = rows.first { $0.percent == p && $0.dynamics == "bistable" }!, b = rows.first { $0.percent == p && $0.dynamics == "ideal_again" }!
            #expect(a.accuracies == b.accuracies, "p = \(p)")
        }
        // the perturbation is not vacuous: some trial moves the accuracy
        #expect(rows.first { $0.percent == 15 && $0.dynamics == "bistable" }!.accuracies.contains { $0 != rows[0].mean })
    }
}
