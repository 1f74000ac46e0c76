// The continuous-state baseline of the noise study against hand calculations of its written definition
// (BMRUModel/ContinuousBaseline.swift), and the injected noise of the bistable model.
import BMRUModel
import Testing

@Suite("Continuous-state baseline")
struct ContinuousBaselineTests {
    /// one input → one cell (weight 1, bias 0, θ 0.3 / 0.6, level 0.8, initial state 0)
    static let network = Network(name: "one", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 1, layers: [
        Layer(name: "cell", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [0.3], thetaHigh: [0.6], level: [0.8], initialState: [0]),
    ])
    static let stimulus = Stimulus(frames: [[0.9], [0.45], [0.45], [0.1], [0.7]], inputs: 1)

    @Test("sets, holds with gain 1 and resets as written: κ = 1/(θ_high − θ_low)")
    func noiseless() {
        let r = IdealModel(network: Self.network).run(Self.stimulus, dynamics: .continuous, noise: InjectedNoise())
        // κ = 1/0.3: frame 0 c = 0.9 → u = 0 + 0.3κ = 1; frames 1-2 hold; frame 3 c = 0.1 → u = 1 − 0.2κ = 1/3;
        // frame 4 c = 0.7 → u = 1/3 + 0.1κ = 2/3
        let u: [Double] = [1, 1, 1, 1.0 / 3, 2.0 / 3]
        for (t, v) in u.enumerated() { #expect(abs(r.outputs[0][t] - 0.8 * v) < 1e-12, "frame \(t): \(r.outputs[0][t])") }
        // the bistable model on the same input: set, hold, reset, set
        let b = IdealModel(network: Self.network).run(Self.stimulus, dynamics: .bistable, noise: InjectedNoise())
        #expect(b.outputs[0] == [0.8, 0.8, 0.8, 0, 0.8])
    }

    @Test("a disturbance of the held state stays (no restoration); the bistable cell ignores the same candidate noise")
    func heldErrorStays() {
        // state noise −0.08 units in frame 1 = −0.1 of the level: u drops to 0.9 and is held at 0.9
        let n = InjectedNoise(candidate: [0: [0, 0.1, -0.1, 0, 0]], state: [0: [0, -0.08, 0, 0, 0]])
        let r = IdealModel(network: Self.network).run(Self.stimulus, dynamics: .continuous, noise: n)
        // frame 1: c = 0.55 (between the thresholds) → 1 − 0.1 = 0.9; frame 2: c = 0.35 → hold 0.9;
        // frame 3: c = 0.1 → 0.9 − 0.2κ = 0.9 − 2/3; frame 4: + 0.1κ
        let u: [Double] = [1, 0.9, 0.9, 0.9 - 2.0 / 3, 0.9 - 2.0 / 3 + 1.0 / 3]
        for (t, v) in u.enumerated() { #expect(abs(r.outputs[0][t] - 0.8 * v) < 1e-12, "frame \(t): \(r.outputs[0][t])") }
        #expect(abs(r.candidates[0][1] - 0.55) < 1e-12 && abs(r.candidates[0][2] - 0.35) < 1e-12)
        // the same candidate noise does not cross a threshold: the bistable outputs are the noiseless ones
        let b = IdealModel(network: Self.network).run(Self.stimulus, dynamics: .bistable, noise: n)
        #expect(b.outputs[0] == [0.8, 0.8, 0.8, 0, 0.8])
        // positive control: candidate noise that crosses θ_low in frame 2 resets the bistable cell
        let big = InjectedNoise(candidate: [0: [0, 0, -0.2, 0, 0]])
        #expect(IdealModel(network: Self.network).run(Self.stimulus, dynamics: .bistable, noise: big).outputs[0] == [0.8, 0.8, 0, 0, 0.8])
    }
}
