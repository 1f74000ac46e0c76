import BMRUModel
import CoSim
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Netlist
import Ngspice
import TestSupport
import Testing

/// A random network of the given shape with parameters a circuit can realise.
func randomNetwork(seed: UInt64, inputs: Int, hidden: Int, cells: Int, outputs: Int) -> Network {
    var g = SeededGenerator(seed: seed)
    func u(_ a: Double, _ b: Double) -> Double { a + (b - a) * g.nextUnitDouble() }
    func w() -> Double {
        let r = g.nextUnitDouble()
        if r < 0.15 { return 0 }
        return (r < 0.55 ? -1 : 1) * u(0.2, 1.2)
    }
    let pre = Layer(name: "pre", kind: .dense, weights: (0..<hidden).map { _ in (0..<inputs).map { _ in w() * 0.6 } },
                    bias: (0..<hidden).map { _ in u(0.1, 0.4) })
    let lows = (0..<cells).map { _ in u(0.2, 0.5) }
    let cell = Layer(name: "cell", kind: .bmru, weights: (0..<cells).map { _ in (0..<hidden).map { _ in w() } },
                     bias: (0..<cells).map { _ in u(0, 0.3) }, thetaLow: lows, thetaHigh: lows.map { $0 + u(0.2, 0.5) },
                     level: (0..<cells).map { _ in u(0.5, 1.2) }, initialState: (0..<cells).map { $0 % 2 })
    let out = Layer(name: "out", kind: .dense, weights: (0..<outputs).map { _ in (0..<cells).map { _ in w() } },
                    bias: (0..<outputs).map { _ in u(0, 0.2) }, activation: .identity)
    return Network(name: "random-\(seed)", unitCurrent: 1e-9, framePeriod: 0.01, inputs: inputs, layers: [pre, cell, out])
}

@Suite("Co-simulation against real ngspice", .serialized)
struct CoSimulationTests {
    @Test("the two-unit circuit follows the hand-worked states and agrees with the model")
    func twoUnits() throws {
        let net = twoUnitNetwork()
        let stim = Stimulus(frames: twoUnitFrames, inputs: 2)
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory()))
        let r = outcome.report
        #expect(r.frames == 10 && r.units == 2)
        #expect(r.ambiguous.count == 0)
        #expect(r.state_agreement == 1, "\(ReportWriter.markdown(r))")
        #expect(r.first_divergence == nil)
        #expect(r.pass)
        // the circuit's own states, independently of the model, equal the hand-worked sequence
        for j in 0..<2 {
            let s = try #require(outcome.traces.series.first { $0.name == "cell[\(j)].state" })
            #expect(s.circuit.map { Int($0) } == twoUnitStates.map { $0[j] }, "unit \(j)")
        }
        // identity read-out: out0 = s0·1.0 − 0.5·s1·0.8 + 0.05, out1 = −0.5·s0·1.0 + s1·0.8 (units), within 10 %
        let o0 = try #require(outcome.traces.series.first { $0.name == "out[0].current" })
        let o1 = try #require(outcome.traces.series.first { $0.name == "out[1].current" })
        for (t, s) in twoUnitStates.enumerated() {
            let e0 = Double(s[0]) - 0.4 * Double(s[1]) + 0.05, e1 = -0.5 * Double(s[0]) + 0.8 * Double(s[1])
            #expect(abs(o0.circuit[t] - e0) < 0.1 * max(abs(e0), 0.5), "out0 frame \(t): \(o0.circuit[t]) vs \(e0)")
            #expect(abs(o1.circuit[t] - e1) < 0.1 * max(abs(e1), 0.5), "out1 frame \(t): \(o1.circuit[t]) vs \(e1)")
        }
        // power: positive, and far below a microwatt for two cells
        let total = try #require(r.power_w["total"])
        #expect(total > 1e-10 && total < 1e-6, "\(total) W")
        #expect(abs(total - r.power_w.filter { $0.key != "total" }.values.reduce(0, +)) < 1e-15)
    }

    @Test("random networks of several shapes agree with the model", arguments: [
        (UInt64(11), 3, 3, 2, 2), (UInt64(14), 5, 4, 3, 3), (UInt64(16), 4, 4, 4, 2),
    ])
    func randomShapes(seed: UInt64, inputs: Int, hidden: Int, cells: Int, outputs: Int) throws {
        let net = randomNetwork(seed: seed, inputs: inputs, hidden: hidden, cells: cells, outputs: outputs)
        let stim = StimulusFile.random(inputs: inputs, frames: 30, seed: seed, density: 0.2)
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory()))
        let r = outcome.report
        #expect(r.state_agreement >= 0.995, "\(ReportWriter.markdown(r))")
        #expect(r.decision?.sequence_agrees == true)
        #expect(r.decision_agreement >= 0.995, "\(ReportWriter.markdown(r))")
        // states must actually switch for the test to mean something
        #expect(r.units == cells)
        let switches = outcome.traces.series.filter { $0.quantity == "state" }.map { s in
            zip(s.circuit, s.circuit.dropFirst()).filter { $0 != $1 }.count }.reduce(0, +)
        #expect(switches >= 2, "only \(switches) state changes: the stimulus does not exercise the cells")
        for name in ["pre", "out"] {
            let l = try #require(r.layers[name])
            #expect((l.rms_rel_error ?? 1) < 0.15, "\(name): \(String(describing: l.rms_rel_error))")
        }
    }
}

@Suite("Sampling and metrics")
struct MetricTests {
    @Test("frame sampling interpolates just before each frame's end")
    func sampling() {
        // a ramp v = t: the sample of frame k is (k+1)·T·(1 − 0.002/(k+1))... i.e. (k+1−0.002)·T
        let time = stride(from: 0.0, through: 0.05, by: 0.001).map { $0 }
        let s = FrameSampler(time: time, framePeriod: 0.01, frames: 5)
        let v = s.sample(time)
        for k in 0..<5 {
            #expect(abs(v[k] - (Double(k + 1) - 0.002) * 0.01) < 1e-12)
        }
    }
}

/// `analyse` on hand-made simulation results (plain values), so the agreement rules are checked exactly.
@Suite("Agreement rules on synthetic circuit results")
struct AgreementRuleTests {
    /// A result whose every probe is 0 except the state nodes, which hold `states[t][j]`·VDD in frame t.
    func synthetic(_ deck: EmittedDeck, frames: Int, states: [[Int]], vdd: Double = 1.8) -> SimulationResult {
        let T = deck.framePeriod
        var time: [Double] = []
        for k in 0..<frames { time += [Double(k) * T + T * 1e-4, Double(k + 1) * T - T * 1e-4] }
        var vectors: [String: [Double]] = ["time": time]
        for p in deck.mapping.probes {
            var name = p.vector.lowercased()
            if name.hasPrefix("i(") { name = String(name.dropFirst(2).dropLast()) + "#branch" }
            if name.hasPrefix("v(") { name = String(name.dropFirst(2).dropLast()) }
            vectors[name] = [Double](repeating: 0, count: time.count)
        }
        for j in 0..<(states.first?.count ?? 0) {
            vectors["s_cell_\(j)"] = (0..<frames).flatMap { t in [Double(states[t][j]) * vdd, Double(states[t][j]) * vdd] }
        }
        return SimulationResult(plotName: "tran1", scaleName: "time", vectors: vectors, log: [])
    }

    func analyse(inputs: [[Double]], circuitStates: [[Int]]) throws -> AgreementReport {
        let net = twoUnitNetwork()
        let stim = Stimulus(frames: inputs, inputs: 2)
        var options = CoSimOptions(modelsDirectory: "/models")
        options.requireDecisionAgreement = false
        let (deck, _) = try CoSimulation.prepare(network: net, stimulus: stim, options: options)
        let result = synthetic(deck, frames: inputs.count, states: circuitStates)
        return try CoSimulation.analyse(network: net, stimulus: stim, deck: deck, result: result, options: options).report
    }

    @Test("a state chosen differently on a near-threshold frame and then held inside the band is ambiguous, not a failure")
    func heldAfterAmbiguous() throws {
        // unit 0 (θ 0.3..0.8, starts 0): 0.82 is within 0.05 of θ_high; 0.5 and 0.6 hold; 0.1 resets.
        // model states 0,1,1,1,0; the circuit did not switch at 0.82 and holds 0.
        let r = try analyse(inputs: [[0, 0.6], [0.82, 0.6], [0.5, 0.6], [0.6, 0.6], [0.1, 0.6]],
                            circuitStates: [[0, 1], [0, 1], [0, 1], [0, 1], [0, 1]])
        #expect(r.ambiguous.count == 3)
        #expect(r.ambiguous.pairs.map(\.reason) == ["near_threshold", "held_after_ambiguous", "held_after_ambiguous"])
        #expect(r.state_agreement == 1)
        #expect(r.first_divergence == nil)
        // one step from the circuit's own states: only the 0.82 frame is near a threshold; every other pair agrees
        #expect(r.one_step == AgreementReport.OneStep(agreement: 1, pairs: 9, ambiguous: 1))
    }

    @Test("the same held difference without an ambiguous frame before it is a real divergence")
    func genuineDivergence() throws {
        // 1.0 clearly sets unit 0 (model 1), but the circuit stays 0 and then holds: 2 of 3 unit-0 pairs disagree
        let r = try analyse(inputs: [[0, 0.6], [1.0, 0.6], [0.5, 0.6], [0.6, 0.6], [0.1, 0.6]],
                            circuitStates: [[0, 1], [0, 1], [0, 1], [0, 1], [0, 1]])
        #expect(r.ambiguous.count == 0)
        #expect(abs(r.state_agreement - 7.0 / 10.0) < 1e-12)
        let f = try #require(r.first_divergence)
        #expect(f.frame == 1 && f.unit == 0 && f.model_state == 1 && f.circuit_state == 0)
        #expect(!r.pass)
        // one step from the circuit's own states: frame 1 still disagrees (1.0 > θ_high sets the state), but frames
        // 2 and 3 start from the circuit's 0 and hold it inside the band, so they agree: 9 of 10 pairs
        #expect(r.one_step == AgreementReport.OneStep(agreement: 0.9, pairs: 10, ambiguous: 0))
    }
}

/// The circuit behind a path-dependent frame (hand-worked network of PathHazardTests, repeated here):
/// when the inputs step from (0, 0) to (2, 2), pre1 = relu(x1 − 1) starts later than pre0 = x0, the cell's
/// candidate passes below θ_low on the way and the circuit resets, as the ramp predicts and unlike the
/// frame-stepped model; the report names the frame, and the default (path-following) model agrees.
@Suite("Path dependence against real ngspice")
struct PathDependenceCircuitTests {
    @Test("the circuit resets on a path-dependent frame; the path-following model predicts it, the frame-stepped one does not")
    func circuitFollowsTheRamp() throws {
        let net = Network(name: "hazard", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
            Layer(name: "pre", kind: .dense, weights: [[1, 0], [0, 1]], bias: [0, -1], activation: .relu),
            Layer(name: "cell", kind: .bmru, weights: [[-1, 2]], bias: [1.5], thetaLow: [1.0], thetaHigh: [2.0], level: [1.0],
                  initialState: [0]),
            Layer(name: "out", kind: .dense, weights: [[1]], bias: [0], activation: .identity),
        ])
        let stim = Stimulus(frames: [[0, 1.6], [0, 0], [2, 2], [2, 2], [0, 1.6]], inputs: 2)
        // the path-following model follows the inputs' ramp between frames: it predicts the reset and the run passes
        var options = CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory())
        options.pathFollowing = true
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: options)
        let r = outcome.report
        let states = try #require(outcome.traces.series.first { $0.name == "cell[0].state" })
        // hand-worked: set at frame 0 (c = 2.7), held at 1 (c = 1.5), reset on the way into frame 2, held reset
        // at frame 3 (c = 1.5 inside the band), set again at frame 4 (c = 2.7)
        #expect(states.circuit == [1, 1, 0, 0, 1], "\(ReportWriter.markdown(r))")
        #expect(states.model == [1, 1, 0, 0, 1])
        #expect(r.pass && r.state_agreement == 1 && r.first_divergence == nil, "\(ReportWriter.markdown(r))")
        #expect(r.conditions.model_between_frames == "linear ramp, 16 steps" && r.one_step?.agreement == 1)
        let p = try #require(r.path_dependence)
        #expect(p.count == 1 && p.pairs.first?.frame == 2 && p.pairs.first?.layer == "cell" && p.pairs.first?.ramp_state == 0)
        // the default, frame-stepped model keeps the state of the frame edge: the same circuit fails, and the
        // report names the path-dependent frame
        let s = try CoSimulation.run(network: net, stimulus: stim, options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory())).report
        #expect(!s.pass && s.first_divergence?.frame == 2 && s.first_divergence?.path_dependent_from == 2)
        #expect(s.conditions.model_between_frames == "jump")
    }
}

/// A frame where an ambiguous state pair differs between circuit and model is excused by the state agreement;
/// its outputs then differ by a whole level for that same reason, so the frame decision is not compared there.
/// Case: examples/tiny.json on 100 random frames with input noise σ 0.05 (seed 3), which failed on frame
/// decisions alone before frames like these were left out.
@Suite("Decisions after excused state differences (real ngspice)")
struct ExcusedDecisionTests {
    @Test("every frame-decision difference lies on a frame with a differing ambiguous state, and is not held against the circuit")
    func excusedFramesAreNotCompared() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let net = try NetworkFile.load(path: root.appendingPathComponent("examples/tiny.json").path)
        let stim = StimulusFile.random(inputs: 2, frames: 100, seed: 1, density: 0.3)
        var options = CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory())
        options.inputNoise = InputNoise(sigma: 0.05, seed: 3)
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: options)
        let r = outcome.report, s = outcome.traces.series
        // recount from the traces: frames with an ambiguous state pair whose two sides differ
        var excused = Set<Int>()
        for st in s where st.quantity == "state" {
            let amb = outcome.traces.ambiguousFrames["\(st.layer)[\(st.unit ?? -1)]"] ?? []
            let model: [Double] = st.model ?? []
            for t in amb where st.circuit[t] != model[t] { excused.insert(t) }
        }
        // frames whose argmax differs between circuit and model (outputs of the last layer)
        let outs = s.filter { $0.layer == "out" && $0.quantity == "current" }.sorted { ($0.unit ?? 0) < ($1.unit ?? 0) }
        try #require(outs.count == 2)
        let c0 = outs[0].circuit, c1 = outs[1].circuit
        let m0 = outs[0].model ?? [], m1 = outs[1].model ?? []
        var differing: [Int] = []
        for t in 0..<100 {
            let circuitYes: Bool = c1[t] > c0[t]
            let modelYes: Bool = m1[t] > m0[t]
            if circuitYes != modelYes { differing.append(t) }
        }
        #expect(!differing.isEmpty, "this case should contain a frame-decision difference (it is what is tested)")
        #expect(Set(differing).isSubset(of: excused), "differing frames \(differing), excused \(excused.sorted())")
        #expect(r.state_agreement == 1 && r.decision_agreement == 1 && r.pass, "\(ReportWriter.markdown(r))")
        #expect((r.decision?.ambiguous_frames ?? 0) >= excused.count)
    }
}
