// Hand-computed cases for each layer kind. Every expected value below was worked out by hand from the
// definitions in the issue (values are dyadic fractions, so the arithmetic is exact).

import Testing
@testable import BMRUModel

func dense(_ name: String, _ w: [[Double]], _ b: [Double], _ act: Activation = .relu, residual: String? = nil) -> Layer {
    Layer(name: name, kind: .dense, weights: w, bias: b, activation: act, residual: residual)
}

func bmru(_ name: String, _ w: [[Double]], _ b: [Double], low: [Double], high: [Double], level: [Double],
          initial: [Int]? = nil) -> Layer {
    Layer(name: name, kind: .bmru, weights: w, bias: b, thetaLow: low, thetaHigh: high, level: level,
          initialState: initial ?? Array(repeating: 0, count: w.count))
}

func net(_ inputs: Int, _ layers: [Layer]) -> Network {
    Network(name: "t", unitCurrent: 1e-9, framePeriod: 0.01, inputs: inputs, layers: layers)
}

@Suite struct IdealModelHandComputed {
    @Test func denseReluClipsInputsAndOutputs() throws {
        let n = net(2, [dense("pre", [[1, 2], [-1, 1]], [0.5, -0.25])])
        #expect(NetworkFile.validate(n, file: "t").isEmpty)
        let trace = IdealModel(network: n).run(Stimulus(frames: [[1, -3], [0, 2], [-1, -1]], inputs: 2))
        // [1,-3] -> x+ = [1,0] -> z = [1.5, -1.25] -> y = [1.5, 0]
        // [0, 2] -> z = [4.5, 1.75];  [-1,-1] -> x+ = 0 -> z = b = [0.5, -0.25] -> [0.5, 0]
        #expect(trace.frames == 3)
        #expect(trace.layers[0].outputs == [[1.5, 0], [4.5, 1.75], [0.5, 0]])
        #expect(trace.layers[0].candidates == nil && trace.layers[0].states == nil)
    }

    @Test func bmruHysteresisHoldsInsideTheBand() throws {
        // unit 0: c = max(x+, 0), band [0.25, 0.75], level 2, s0 = 0
        // unit 1: c = max(0.5 - x+, 0), θ_low = θ_high = 0.3 (comparator), level 1, s0 = 1
        let n = net(1, [bmru("cell", [[1], [-1]], [0, 0.5], low: [0.25, 0.3], high: [0.75, 0.3], level: [2, 1],
                             initial: [0, 1])])
        #expect(NetworkFile.validate(n, file: "t").isEmpty)
        let xs: [Double] = [0.5, 1.0, 0.5, 0.25, 0.125, 0.75, -5, 1]
        let trace = IdealModel(network: n).run(Stimulus(frames: xs.map { [$0] }, inputs: 1))
        let l = trace.layers[0]
        // unit 0: 0.5 in band holds 0; 1 > .75 -> 1; .5 holds; .25 == θ_low holds; .125 < .25 -> 0;
        //         .75 == θ_high holds 0; -5 clipped -> c = 0 -> 0; 1 -> 1
        // unit 1: c = 0, 0, 0, .25, .375, 0, .5, 0  -> s = 0,0,0,0,1,0,1,0
        #expect(l.states! == [[0, 0], [1, 0], [1, 0], [1, 0], [0, 1], [0, 0], [0, 1], [1, 0]])
        #expect(l.candidates! == [[0.5, 0], [1, 0], [0.5, 0], [0.25, 0.25], [0.125, 0.375], [0.75, 0], [0, 0.5], [1, 0]])
        #expect(l.outputs == [[0, 0], [2, 0], [2, 0], [2, 0], [0, 1], [0, 0], [0, 1], [2, 0]])
    }

    @Test func initialStateIsHeldUntilTheCandidateLeavesTheBand() {
        let n = net(1, [bmru("cell", [[1]], [0], low: [0.25], high: [0.75], level: [0.5], initial: [1])])
        let trace = IdealModel(network: n).run(Stimulus(frames: [[0.5], [0.5], [0.0]], inputs: 1))
        #expect(trace.layers[0].states! == [[1], [1], [0]])
        #expect(trace.layers[0].outputs == [[0.5], [0.5], [0]])
    }

    @Test func residualAndIdentityOutput() {
        // pre = relu(x+), post = relu([x1 - 1, x0]) + pre, out = post0 - post1 + 0.5 (signed)
        let n = net(2, [dense("pre", [[1, 0], [0, 1]], [0, 0]),
                        dense("post", [[0, 1], [1, 0]], [-1, 0], residual: "pre"),
                        dense("out", [[1, -1]], [0.5], .identity)])
        #expect(NetworkFile.validate(n, file: "t").isEmpty)
        let trace = IdealModel(network: n).run(Stimulus(frames: [[3, 1], [4, 0], [-2, 2]], inputs: 2))
        // [3,1]: pre [3,1]; post relu([0,3]) + [3,1] = [3,4]; out = 3 - 4 + .5 = -0.5
        // [4,0]: pre [4,0]; post relu([-1,4]) + [4,0] = [4,4]; out = 0.5
        // [-2,2]: pre [0,2]; post relu([1,0]) + [0,2] = [1,2]; out = -0.5
        #expect(trace.layers[1].outputs == [[3, 4], [4, 4], [1, 2]])
        #expect(trace.layers[2].outputs == [[-0.5], [0.5], [-0.5]])
    }
}
