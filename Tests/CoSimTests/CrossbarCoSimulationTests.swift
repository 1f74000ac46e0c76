import BMRUModel
import Characterization
import CoSim
import Foundation
import Netlist
import TestSupport
import Testing

// The crossbar RNN circuit on real ngspice and the GF180MCU models (examples/crossbar-tiny.json, 3 tanh units
// and one identity readout, 5-bit ramp ADCs), against its models.
@Suite("Crossbar co-simulation (real ngspice)", .serialized)
struct CrossbarCoSimulationTests {
    static func setup(frames: Int) throws -> (CrossbarNetwork, Stimulus, CrossbarCoSimOptions) {
        let root = TestEnvironment.packageRoot.appendingPathComponent("examples").path
        let net = try CrossbarNetworkFile.load(path: root + "/crossbar-tiny.json")
        let all = try StimulusFile.load(path: root + "/crossbar-tiny.csv", inputs: net.inputs)
        let stim = Stimulus(frames: Array(all.frames.prefix(frames)), inputs: net.inputs)
        return (net, stim, CrossbarCoSimOptions(deck: DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory())))
    }

    @Test("nominal devices: codes agree with the quantized model within one level, mostly exactly; pre-activations within 1 % of the range")
    func nominal() throws {
        let (net, stim, options) = try Self.setup(frames: 8)
        let o = try CrossbarCoSimulation.run(network: net, stimulus: stim, options: options)
        let r = o.report
        #expect(r.pass && r.one_step_within_one == 1 && r.one_step_exact >= 0.9, "\(CrossbarReports.markdown(r))")
        for name in r.layer_order { #expect((r.layers[name]!.pre_rms_error_of_range ?? 1) < 0.01, "\(name)") }
        // a model of another network (weights × 1.3) is far from this circuit: the comparison can fail
        var other = net
        other.layers[0].weights = other.layers[0].weights.map { $0.map { $0 * 1.3 } }
        let wrong = try CrossbarAgreement.compare(network: other, stimulus: stim, circuit: o.circuit)
        #expect(!wrong.pass && wrong.one_step_exact < 0.8, "\(wrong.one_step_exact)")
        // the energy is positive and the periphery (comparators at 100 µA) dominates the memristors
        let p = try #require(r.power_w)
        #expect(p["periphery"]! > 0 && p["arrays"]! > 0 && p["periphery"]! > 10 * p["arrays"]!)
    }

    @Test("8 conductance levels: the nominal model misses the circuit, the circuit-aware model (the programmed conductances and ramp) predicts it")
    func coarseConductances() throws {
        var (net, stim, options) = try Self.setup(frames: 8)
        net.conductanceLevels = 8
        options.realisation = try CrossbarCircuitModel.realisation(network: net)
        let o = try CrossbarCoSimulation.run(network: net, stimulus: stim, options: options)
        #expect(o.report.model == "circuit_aware" && o.report.pass && o.report.one_step_exact >= 0.95, "\(CrossbarReports.markdown(o.report))")
        let nominal = try CrossbarAgreement.compare(network: net, stimulus: stim, circuit: o.circuit)
        #expect(nominal.model == "quantized" && !nominal.pass && nominal.one_step_exact < 0.7, "\(nominal.one_step_exact)")
    }
}
