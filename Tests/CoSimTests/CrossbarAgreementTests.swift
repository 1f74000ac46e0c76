import BMRUModel
import CoSim
import Foundation
import TestSupport
import Testing

// The crossbar comparison on circuit codes made by hand from the model: equal codes pass; one code off by one
// costs exactly one pair of the one-step agreement; one off by three fails the within-one gate.
@Suite struct CrossbarAgreementTests {
    static func setup() throws -> (CrossbarNetwork, Stimulus, CrossbarTrace) {
        let root = TestEnvironment.packageRoot.appendingPathComponent("examples").path
        let net = try CrossbarNetworkFile.load(path: root + "/crossbar-tiny.json")
        let stim = try StimulusFile.load(path: root + "/crossbar-tiny.csv", inputs: net.inputs)
        return (net, stim, CrossbarModel(network: net).run(stim))
    }

    static func codes(_ t: CrossbarTrace) -> [String: [[Int]]] {
        Dictionary(uniqueKeysWithValues: t.layers.map { ($0.name, $0.codes!) })
    }

    @Test func equalCodesPass() throws {
        let (net, stim, trace) = try Self.setup()
        let r = try CrossbarAgreement.compare(network: net, stimulus: stim, circuit: .init(codes: Self.codes(trace)))
        #expect(r.pass && r.one_step_exact == 1 && r.free_running_exact == 1 && r.decision.frame_agreement == 1)
        #expect(r.layers["rnn"]!.one_step.pairs == 30 * 3 && r.layers["out"]!.one_step.pairs == 30)
        #expect(r.layer_order == ["rnn", "out"] && r.layers["rnn"]!.one_step.first_difference == nil)
    }

    @Test func oneCodeOffByOneCostsOnePair() throws {
        let (net, stim, trace) = try Self.setup()
        var c = Self.codes(trace)
        // the last frame: nothing later depends on it, so the one-step prediction of every other pair is unchanged
        // except the output layer's last frame, which reads this frame's rnn outputs
        let t = 29
        c["rnn"]![t][1] += c["rnn"]![t][1] < 31 ? 1 : -1
        // the output layer's one-step prediction now reads the changed rnn value: take the circuit's out code
        // to be what the model computes from it (the circuit is consistent downstream)
        let model = CrossbarModel(network: net)
        let outs = net.layers.map { l in c[l.name]!.map { $0.map { l.adc.value(code: $0) } } }
        c["out"]![t] = model.oneStep(stim, circuitOutputs: outs).layers[1].codes![t]
        var exactGate = CrossbarGate()
        exactGate.margin_fraction = 0
        let r = try CrossbarAgreement.compare(network: net, stimulus: stim, circuit: .init(codes: c), gate: exactGate)
        #expect(r.layers["rnn"]!.one_step.exact == 89.0 / 90 && r.layers["rnn"]!.one_step.within_one == 1)
        #expect(r.layers["rnn"]!.one_step.first_difference == "1@29" && r.layers["out"]!.one_step.exact == 1)
        #expect(abs(r.one_step_exact - 119.0 / 120) < 1e-12 && r.pass)
        #expect(r.layers["rnn"]!.one_step.max_abs_difference == 1 && abs(r.layers["rnn"]!.one_step.rms_lsb - (1.0 / 90).squareRoot()) < 1e-12)
    }

    @Test func aCodeOffByThreeFailsTheGate() throws {
        let (net, stim, trace) = try Self.setup()
        var c = Self.codes(trace)
        c["rnn"]![3][0] = c["rnn"]![3][0] >= 3 ? c["rnn"]![3][0] - 3 : c["rnn"]![3][0] + 3
        let r = try CrossbarAgreement.compare(network: net, stimulus: stim, circuit: .init(codes: c))
        #expect(!r.pass && r.layers["rnn"]!.one_step.max_abs_difference == 3 && r.one_step_within_one < 1)
        #expect(r.layers["rnn"]!.one_step.first_difference == "0@3")
    }

    @Test func missingFramesAreAProbeError() throws {
        let (net, stim, trace) = try Self.setup()
        var c = Self.codes(trace)
        c["out"]!.removeLast()
        #expect(throws: CoSimError.self) { try CrossbarAgreement.compare(network: net, stimulus: stim, circuit: .init(codes: c)) }
    }

    @Test func nearThresholdByHand() {
        // identity thresholds 0.5, 1.5, 2.5 (spacing 1): within 0.1 of one of them
        #expect(CrossbarAgreement.nearThreshold(1.46, [0.5, 1.5, 2.5], fraction: 0.1))
        #expect(CrossbarAgreement.nearThreshold(2.59, [0.5, 1.5, 2.5], fraction: 0.1))
        #expect(!CrossbarAgreement.nearThreshold(1.35, [0.5, 1.5, 2.5], fraction: 0.1))
        #expect(!CrossbarAgreement.nearThreshold(-3, [0.5, 1.5, 2.5], fraction: 0.1))
        // uneven spacing: the smaller neighbouring step counts (0.2 below 1.0, 1.0 above): 0.95 is within 0.1·0.2
        #expect(!CrossbarAgreement.nearThreshold(0.95, [0.8, 1.0, 2.0], fraction: 0.1))
        #expect(CrossbarAgreement.nearThreshold(0.99, [0.8, 1.0, 2.0], fraction: 0.1))
    }

    @Test func aCodeOffNearAThresholdIsAmbiguous() throws {
        let (net, stim, trace) = try Self.setup()
        // the readout's pre-activation nearest to one of its thresholds (in units of the local step)
        let adc = net.layers[1].adc
        let pre = trace.layers[1].preActivations.map { $0[0] }
        let (t, _) = pre.enumerated().map { (f, x) in (f, adc.thresholds.map { abs(x - $0) }.min()! / adc.lsb) }.min { $0.1 < $1.1 }!
        var c = Self.codes(trace)
        c["out"]![t][0] += 1
        var wide = CrossbarGate()
        wide.margin_fraction = 0.5  // every pair is within half a step of a threshold: all ambiguous
        let r = try CrossbarAgreement.compare(network: net, stimulus: stim, circuit: .init(codes: c), gate: wide)
        #expect(r.layers["out"]!.one_step.ambiguous == 30 && r.layers["out"]!.one_step.first_difference == nil)
    }

    @Test func majorityAndArgmaxTies() {
        #expect(CrossbarAgreement.argmax([0.2, 0.5, 0.5]) == 1)
        #expect(CrossbarAgreement.majority([1, 0, 1, 0], classes: 2) == 0 && CrossbarAgreement.majority([1, 1, 0], classes: 2) == 1)
    }
}
