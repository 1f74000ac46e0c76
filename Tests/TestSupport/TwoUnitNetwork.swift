// The two-unit network (two bmru cells and an identity read-out) and a hand-worked stimulus, shared by the
// co-simulation library tests and the end-to-end tests of `bmru cosim`.

import BMRUModel

/// Two bmru units fed straight from the inputs (weight 1), then an identity read-out.
/// Unit 0: θ 0.3..0.8, starts at 0; unit 1: θ 0.4..0.9, starts at 1.
public func twoUnitNetwork() -> Network {
    Network(name: "two-unit", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
        Layer(name: "cell", kind: .bmru, weights: [[1, 0], [0, 1]], bias: [0, 0],
              thetaLow: [0.3, 0.4], thetaHigh: [0.8, 0.9], level: [1.0, 0.8], initialState: [0, 1]),
        Layer(name: "out", kind: .dense, weights: [[1, -0.5], [-0.5, 1]], bias: [0.05, 0], activation: .identity),
    ])
}

/// Inputs that walk both units through hold, set and reset, never within 0.1 units of a threshold.
/// Hand-worked states (unit 0 / unit 1): 0/1, 1/1, 1/1, 0/0, 0/0, 1/1, 1/1, 0/1, 1/0, 1/0
public let twoUnitFrames: [[Double]] = [
    [0.0, 0.6], [1.0, 0.6], [0.5, 1.2], [0.1, 0.2], [0.6, 0.6], [1.0, 1.1], [0.55, 0.55], [0.15, 0.7], [1.1, 0.1], [0.6, 0.6],
]
public let twoUnitStates: [[Int]] = [[0, 1], [1, 1], [1, 1], [0, 0], [0, 0], [1, 1], [1, 1], [0, 1], [1, 0], [1, 0]]

