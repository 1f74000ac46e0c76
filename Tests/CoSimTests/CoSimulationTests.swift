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

/// Two bmru units fed straight from the inputs (weight 1), then an identity read-out.
/// Unit 0: θ 0.3..0.8, starts at 0; unit 1: θ 0.4..0.9, starts at 1.
func twoUnitNetwork() -> Network {
    Network(name: "two-unit", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
        Layer(name: "cell", kind: .bmru, weights: [[1, 0], [0, 1]], bias: [0, 0],
              thetaLow: [0.3, 0.4], thetaHigh: [0.8, 0.9], level: [1.0, 0.8], initialState: [0, 1]),
        Layer(name: "out", kind: .dense, weights: [[1, -0.5], [-0.5, 1]], bias: [0.05, 0], activation: .identity),
    ])
}

/// Inputs that walk both units through hold, set and reset, never within 0.1 units of a threshold.
/// Hand-worked states (unit 0 / unit 1): 0/1, 1/1, 1/1, 0/0, 0/0, 1/1, 1/1, 0/1, 1/0, 1/0
let twoUnitFrames: [[Double]] = [
    [0.0, 0.6], [1.0, 0.6], [0.5, 1.2], [0.1, 0.2], [0.6, 0.6], [1.0, 1.1], [0.55, 0.55], [0.15, 0.7], [1.1, 0.1], [0.6, 0.6],
]
let twoUnitStates: [[Int]] = [[0, 1], [1, 1], [1, 1], [0, 0], [0, 0], [1, 1], [1, 1], [0, 1], [1, 0], [1, 0]]

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

@Suite("bmru cosim command", .serialized)
struct CoSimCommandTests {
    func writeInputs(_ dir: String) throws {
        try NetworkFile.encode(twoUnitNetwork()).write(to: URL(fileURLWithPath: dir + "/net.json"))
        try StimulusFile.csv(Stimulus(frames: twoUnitFrames, inputs: 2)).write(toFile: dir + "/stim.csv", atomically: true, encoding: .utf8)
    }

    /// The deck `bmru netlist` writes for the two-unit network and stimulus.
    func emittedDeck(_ dir: String) throws -> String {
        let bmru = try TestEnvironment.bmruExecutable()
        let r = try TestEnvironment.run(bmru, ["netlist", dir + "/net.json", "--input", dir + "/stim.csv", "-o", dir + "/deck.sp",
                                               "--models", try TestEnvironment.modelsDirectory()])
        #expect(r.status == 0, "\(r.stderr)")
        return try String(contentsOfFile: dir + "/deck.sp", encoding: .utf8)
    }

    @Test("an edited deck whose threshold source is 50 % high is caught: exit 1, first divergence names the unit, reports parse")
    func brokenCircuitCaught() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("broken")
        try writeInputs(dir)
        // unit 0's upper threshold reference x1.5: the 1.0-unit inputs of frames 1 and 5 no longer set it
        // (θ_high 0.8 -> 1.2 units). The edit is made here, on the text, as a user would make it.
        var lines = try emittedDeck(dir).components(separatedBy: "\n")
        let k = try #require(lines.firstIndex { $0.hasPrefix("ith_cell_0 rth_cell_0 0 dc ") })
        let value = try #require(Double(lines[k].split(separator: " ").last.map(String.init) ?? ""))
        lines[k] = "ith_cell_0 rth_cell_0 0 dc \(value * 1.5)"
        try lines.joined(separator: "\n").write(toFile: dir + "/edited.sp", atomically: true, encoding: .utf8)
        let out = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r",
                                                 "--deck", dir + "/edited.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        let report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/r/report.json")))
        #expect(!report.pass)
        #expect(report.state_agreement < 0.995)
        #expect(report.conditions.deck_file == dir + "/edited.sp")
        let f = try #require(report.first_divergence)
        #expect(f.layer == "cell" && f.unit == 0 && f.frame == 1 && f.model_state == 1 && f.circuit_state == 0)
        // the report folder keeps the deck that ran
        #expect(try String(contentsOfFile: dir + "/r/deck.sp", encoding: .utf8).contains(lines[k]))
        // the JSON keeps its documented top-level keys
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r/report.json"))) as? [String: Any])
        for key in ["network", "frames", "units", "state_agreement", "ambiguous", "decision_agreement", "first_divergence",
                    "layers", "power_w", "thresholds", "pass"] {
            #expect(obj[key] != nil, "report.json lacks \(key)")
        }
        // JUnit XML parses and records the failure
        let xml = try Data(contentsOf: URL(fileURLWithPath: dir + "/r/junit.xml"))
        let counter = JUnitCounter()
        let parser = XMLParser(data: xml)
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.testcases >= 2 && counter.failures >= 1)
        for f in ["report.md", "report.html", "waveforms.csv", "deck.sp", "deck.mapping.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/r/" + f), "\(f) missing")
        }
    }

    @Test("the emitted circuit passes with exit 0, as its unedited deck given with --deck does")
    func healthyPasses() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("healthy")
        try writeInputs(dir)
        let out = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r",
                                                 "--models", try TestEnvironment.modelsDirectory()])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("PASS"))
        _ = try emittedDeck(dir)
        let given = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r2",
                                                   "--deck", dir + "/deck.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(given.status == 0, "\(given.stdout)\n\(given.stderr)")
        #expect(given.stdout.contains("supplied: " + dir + "/deck.sp"), "\(given.stdout)")
    }

    @Test("a supplied deck's commands never run: its .control block is dropped (the plain ngspice CLI runs it)")
    func suppliedDeckCommands() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("supplied")
        try writeInputs(dir)
        let marker = dir + "/pwned"
        let evil = try emittedDeck(dir).replacingOccurrences(of: ".control\n", with: ".control\nshell touch \(marker)\n")
        try evil.write(toFile: dir + "/evil.sp", atomically: true, encoding: .utf8)
        let r = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r",
                                               "--deck", dir + "/evil.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the supplied deck ran a shell command")
        // positive control: the same deck under the ngspice CLI does run the command
        let cli = try TestEnvironment.run(try TestEnvironment.ngspiceCLI(), ["-b", dir + "/evil.sp"], cwd: dir)
        #expect(FileManager.default.fileExists(atPath: marker), "ngspice -b did not run the control block (status \(cli.status))")
        // a deck file that cannot be read: exit 2 naming it, no report
        let missing = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r3",
                                                     "--deck", dir + "/nope.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(missing.status == 2 && missing.stderr.contains(dir + "/nope.sp"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r3"))
    }

    @Test("bad input exits 2 with one line naming the file, and writes no report")
    func badInput() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("bad")
        try writeInputs(dir)
        try "a,b,c\n1,2,3\n".write(toFile: dir + "/wide.csv", atomically: true, encoding: .utf8)
        let out = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/wide.csv", "--out", dir + "/r"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("wide.csv"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r/report.json"))
    }
}

final class JUnitCounter: NSObject, XMLParserDelegate {
    var testcases = 0, failures = 0
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "testcase" { testcases += 1 }
        if name == "failure" { failures += 1 }
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
    }
}

/// The circuit behind a path-dependent frame (hand-worked network of PathHazardTests, repeated here):
/// when the inputs step from (0, 0) to (2, 2), pre1 = relu(x1 − 1) starts later than pre0 = x0, the cell's
/// candidate passes below θ_low on the way and the circuit resets, as the ramp predicts and unlike the
/// frame-stepped model; the report names the frame.
@Suite("Path dependence against real ngspice")
struct PathDependenceCircuitTests {
    @Test("the circuit resets on a path-dependent frame and the report says so")
    func circuitFollowsTheRamp() throws {
        let net = Network(name: "hazard", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
            Layer(name: "pre", kind: .dense, weights: [[1, 0], [0, 1]], bias: [0, -1], activation: .relu),
            Layer(name: "cell", kind: .bmru, weights: [[-1, 2]], bias: [1.5], thetaLow: [1.0], thetaHigh: [2.0], level: [1.0],
                  initialState: [0]),
            Layer(name: "out", kind: .dense, weights: [[1]], bias: [0], activation: .identity),
        ])
        let stim = Stimulus(frames: [[0, 1.6], [0, 0], [2, 2], [2, 2], [0, 1.6]], inputs: 2)
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory()))
        let r = outcome.report
        let states = try #require(outcome.traces.series.first { $0.name == "cell[0].state" })
        // hand-worked: set at frame 0 (c = 2.7), held at 1 (c = 1.5), reset on the way into frame 2, held reset
        // at frame 3 (c = 1.5 inside the band), set again at frame 4 (c = 2.7)
        #expect(states.circuit == [1, 1, 0, 0, 1], "\(ReportWriter.markdown(r))")
        #expect(states.model == [1, 1, 1, 1, 1])
        let p = try #require(r.path_dependence)
        #expect(p.count == 1 && p.pairs.first?.frame == 2 && p.pairs.first?.layer == "cell" && p.pairs.first?.ramp_state == 0)
        #expect(r.first_divergence?.frame == 2 && r.first_divergence?.path_dependent_from == 2)
        #expect(!r.pass, "the gate is unchanged: a path-dependent difference still fails")
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
