// Path dependence of a frame: the model steps its inputs from one frame's values to the next at once, a
// circuit cannot. Between frames the inputs (and every layer after them) pass through intermediate values,
// and a bmru unit that holds its state inside the hysteresis band can be set or reset on the way even when
// both frames' values leave it in the band. Such a (frame, unit) has no single right answer at the frame
// level: the circuit may end in either state.
//
// Check: for every frame k ≥ 1, start from the frame-stepped model's states at the end of frame k − 1 and
// move the inputs linearly to frame k's values in `substeps` equal steps (every layer follows, every bmru
// unit updates at every step); a unit that ends in another state than the frame-stepped model is path
// dependent at frame k. Frame 0 is not checked (the circuit starts there from its initial conditions).
// A linear ramp is one of the paths a circuit can take, so the check finds hazards, not all of them.

import Foundation

/// A (layer, unit, frame) whose state at the end of the frame depends on the path between frames.
public struct PathHazard: Codable, Equatable, Sendable {
    public var layer: String
    public var unit: Int
    public var frame: Int
    /// the frame-stepped model's state (inputs jump at the frame edge)
    public var stepped_state: Int
    /// the state after the inputs move linearly from the previous frame's values
    public var ramp_state: Int
    /// the lowest and highest candidate on the ramp, model units
    public var ramp_min_candidate: Double
    public var ramp_max_candidate: Double

    public init(layer: String, unit: Int, frame: Int, stepped_state: Int, ramp_state: Int,
                ramp_min_candidate: Double, ramp_max_candidate: Double) {
        self.layer = layer; self.unit = unit; self.frame = frame; self.stepped_state = stepped_state
        self.ramp_state = ramp_state; self.ramp_min_candidate = ramp_min_candidate; self.ramp_max_candidate = ramp_max_candidate
    }
}

extension IdealModel {
    /// Every path-dependent (layer, unit, frame) of `stimulus` (see the file comment), ordered by frame,
    /// layer and unit. `substeps` ≥ 1 (1 = no intermediate values: always empty).
    public func pathHazards(_ stimulus: Stimulus, substeps: Int = 16) -> [PathHazard] {
        let T = stimulus.frames.count
        guard T >= 2, substeps >= 2 else { return [] }
        let stepped = runFlat(stimulus)
        let bmru = network.layers.indices.filter { network.layers[$0].kind == .bmru }
        guard !bmru.isEmpty else { return [] }
        var found: [PathHazard] = []
        for k in 1..<T {
            var start: [Int: [UInt8]] = [:]
            for li in bmru {
                let m = network.layers[li].outputs
                start[li] = Array(stepped.states[li][((k - 1) * m)..<(k * m)])
            }
            let a = stimulus.frames[k - 1], b = stimulus.frames[k]
            let ramp = (1...substeps).map { j -> [Double] in
                let f = Double(j) / Double(substeps)
                return zip(a, b).map { $0 + f * ($1 - $0) }
            }
            let r = runFlat(Stimulus(frames: ramp, inputs: stimulus.inputs), startStates: start)
            for li in bmru {
                let m = network.layers[li].outputs
                for u in 0..<m {
                    let end = Int(r.states[li][(substeps - 1) * m + u]), want = Int(stepped.states[li][k * m + u])
                    guard end != want else { continue }
                    var lo = Double.infinity, hi = -Double.infinity
                    for j in 0..<substeps { let c = r.candidates[li][j * m + u]; lo = min(lo, c); hi = max(hi, c) }
                    found.append(PathHazard(layer: network.layers[li].name, unit: u, frame: k, stepped_state: want,
                                            ramp_state: end, ramp_min_candidate: lo, ramp_max_candidate: hi))
                }
            }
        }
        return found
    }
}

extension IdealModel {
    /// The model as the circuit runs it: between frames the inputs move linearly (in `substeps` equal steps)
    /// from the previous frame's values to the next, as the deck's input sources do, and every bmru unit updates
    /// at every step; each frame's trace is the values at the end of its ramp. Frame 0 starts from the initial
    /// states at frame 0's inputs. Inputs are clipped to max(x, 0) before the ramp (the deck's sources ramp
    /// between clipped currents). Without path hazards this equals `run` exactly; where a unit is reset or set in
    /// passing it follows the path, where `run` keeps the state of the frame edge.
    public func runPathFollowing(_ stimulus: Stimulus, substeps: Int = 16) -> ModelTrace {
        let T = stimulus.frames.count
        guard T >= 2, substeps >= 2 else { return run(stimulus) }
        let clipped = stimulus.frames.map { $0.map { max($0, 0) } }
        var frames = [clipped[0]]
        frames.reserveCapacity(1 + (T - 1) * substeps)
        for k in 1..<T {
            let a = clipped[k - 1], b = clipped[k]
            for j in 1...substeps {
                let f = Double(j) / Double(substeps)
                frames.append(j == substeps ? b : zip(a, b).map { $0 + f * ($1 - $0) })
            }
        }
        let fine = run(Stimulus(frames: frames, inputs: stimulus.inputs))
        func pick<V>(_ rows: [[V]]) -> [[V]] { (0..<T).map { rows[$0 * substeps] } }
        let layers = fine.layers.map { l in
            LayerTrace(name: l.name, kind: l.kind, outputs: pick(l.outputs), candidates: l.candidates.map(pick),
                       states: l.states.map(pick))
        }
        return ModelTrace(frames: T, layers: layers)
    }
}

/// The one-step prediction of a run: every frame's bmru states predicted from the *circuit's* states of the
/// frame before (frame 0 from the network's initial states), so one differing state does not carry into later
/// frames.
public struct OneStepPrediction: Sendable, Equatable {
    /// per bmru layer index: states and candidates per frame and unit
    public var states: [Int: [[Int]]]
    public var candidates: [Int: [[Double]]]
}

extension IdealModel {
    /// `observed[layer index]`: the observed (circuit) state of every unit per frame, for every bmru layer.
    /// `substeps` ≥ 2: the inputs move from the previous frame's values in that many linear steps, as in
    /// `runPathFollowing` (1: they jump, as in `run`).
    public func oneStep(_ stimulus: Stimulus, observed: [Int: [[Int]]], substeps: Int = 1) -> OneStepPrediction {
        let bmru = network.layers.indices.filter { network.layers[$0].kind == .bmru }
        var states: [Int: [[Int]]] = [:], cands: [Int: [[Double]]] = [:]
        for k in 0..<stimulus.frames.count {
            var start: [Int: [UInt8]]? = nil
            var frames = [stimulus.frames[k]]
            if k > 0 {
                var s: [Int: [UInt8]] = [:]
                for li in bmru { s[li] = (observed[li]?[k - 1] ?? []).map { UInt8($0) } }
                start = s
                if substeps >= 2 {
                    let a = stimulus.frames[k - 1].map { max($0, 0) }, b = stimulus.frames[k].map { max($0, 0) }
                    frames = (1...substeps).map { j in j == substeps ? b : zip(a, b).map { $0 + Double(j) / Double(substeps) * ($1 - $0) } }
                }
            }
            let r = runFlat(Stimulus(frames: frames, inputs: stimulus.inputs), startStates: start)
            let last = frames.count - 1
            for li in bmru {
                let m = network.layers[li].outputs
                states[li, default: []].append(r.states[li][(last * m)..<((last + 1) * m)].map { Int($0) })
                cands[li, default: []].append(Array(r.candidates[li][(last * m)..<((last + 1) * m)]))
            }
        }
        return OneStepPrediction(states: states, candidates: cands)
    }
}
