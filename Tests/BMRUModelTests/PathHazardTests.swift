import BMRUModel
import Testing

/// A network whose cell is path dependent at one frame, worked by hand:
/// pre = (relu(x0), relu(x1 − 1)); cell candidate c = 1.5 − pre0 + 2·pre1, θ 1.0..2.0, starts at 0.
/// Frames: (0, 1.6) c = 2.7 sets it; (0, 0) c = 1.5 holds; (2, 2) c = 1.5 holds when the inputs jump, but on a
/// linear ramp (2f, 2f) c(f) = 1.5 − 2f + 2·max(2f − 1, 0) falls to 0.5 at f = 1/2 (reset) and only climbs
/// back to 1.5 (stays reset); (2, 2) again: no change; (0, 1.6): c rises 1.5 → 2.7 on the ramp and jumps to
/// 2.7: set either way.
func hazardNetwork(preBias: Double = -1) -> Network {
    Network(name: "hazard", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
        Layer(name: "pre", kind: .dense, weights: [[1, 0], [0, 1]], bias: [0, preBias], activation: .relu),
        Layer(name: "cell", kind: .bmru, weights: [[-1, 2]], bias: [1.5], thetaLow: [1.0], thetaHigh: [2.0], level: [1.0],
              initialState: [0]),
        Layer(name: "out", kind: .dense, weights: [[1]], bias: [0], activation: .identity),
    ])
}
let hazardFrames: [[Double]] = [[0, 1.6], [0, 0], [2, 2], [2, 2], [0, 1.6]]

@Suite struct PathHazardTests {
    @Test func handWorkedHazard() {
        let model = IdealModel(network: hazardNetwork())
        let stim = Stimulus(frames: hazardFrames, inputs: 2)
        // the frame-stepped model holds the cell set throughout
        #expect(model.run(stim).layer("cell")?.states == [[1], [1], [1], [1], [1]])
        let h = model.pathHazards(stim, substeps: 16)
        #expect(h.count == 1)
        let first = try? #require(h.first)
        #expect(first?.layer == "cell" && first?.unit == 0 && first?.frame == 2)
        #expect(first?.stepped_state == 1 && first?.ramp_state == 0)
        // on the 16-step ramp the lowest candidate is c(1/2) = 0.5 and the highest c(1) = 1.5
        #expect(abs((first?.ramp_min_candidate ?? 0) - 0.5) < 1e-12 && abs((first?.ramp_max_candidate ?? 0) - 1.5) < 1e-12)
        // an odd step count misses f = 1/2 but still passes below θ_low: c(7/15) = 1.5 − 14/15 ≈ 0.567
        #expect(model.pathHazards(stim, substeps: 15).map(\.frame) == [2])
        // no intermediate values, no hazard
        #expect(model.pathHazards(stim, substeps: 1).isEmpty)
    }

    /// Without the −1 bias pre1 = x1 follows x0 and c(f) = 1.5 + 2f only rises: nothing is path dependent.
    @Test func monotoneRampHasNoHazard() {
        let model = IdealModel(network: hazardNetwork(preBias: 0))
        #expect(model.pathHazards(Stimulus(frames: hazardFrames, inputs: 2), substeps: 16).isEmpty)
    }
}

/// The path-following model on the hand-worked hazard: the linear ramp into frame 2 resets the cell (c falls to
/// 0.5 < θ_low at f = 1/2), frame 3 holds it reset (c = 1.5 inside the band), frame 4 sets it (c = 2.7).
@Suite struct PathFollowingModelTests {
    @Test func followsTheResetInPassing() {
        let model = IdealModel(network: hazardNetwork())
        let stim = Stimulus(frames: hazardFrames, inputs: 2)
        let t = model.runPathFollowing(stim, substeps: 16)
        #expect(t.layer("cell")?.states == [[1], [1], [0], [0], [1]])
        #expect(t.layer("out")?.outputs == [[1], [1], [0], [0], [1]])
        // candidates at the end of each ramp are the frame values: 2.7, 1.5, 1.5, 1.5, 2.7
        #expect(zip(t.layer("cell")!.candidates!.map { $0[0] }, [2.7, 1.5, 1.5, 1.5, 2.7]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func equalsTheSteppedModelWithoutHazards() {
        let model = IdealModel(network: hazardNetwork(preBias: 0))
        let stim = Stimulus(frames: hazardFrames, inputs: 2)
        #expect(model.pathHazards(stim).isEmpty)
        #expect(model.runPathFollowing(stim) == model.run(stim))
    }
}
