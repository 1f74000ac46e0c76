import BMRUModel
@testable import CoSim
import TestSupport
import Testing

@Suite("Input-noise measures on hand-made inputs")
struct NoiseMeasureTests {
    @Test("applied RMS compares the noisy input with the clean input clipped at 0, as the circuit sees both")
    func appliedAgainstClipped() {
        let net = twoUnitNetwork()
        // clean −0.5 (the circuit sees 0) became 0.1: 0.1 of noise reached the circuit, not 0.6; 0.2 became 0.25
        let clean = Stimulus(frames: [[-0.5, 0.2]], inputs: 2), noisy = Stimulus(frames: [[0.1, 0.25]], inputs: 2)
        let r = NoiseMeasure.robustness(network: net, clean: clean, noisy: noisy, noise: InputNoise(sigma: 0.1, seed: 1),
                                        model: IdealModel(network: net).run(noisy), circuitStates: [:], circuitOutputs: nil)
        let want = ((0.1 * 0.1 + 0.05 * 0.05) / 2).squareRoot()
        #expect(abs(r.applied_rms_units - want) < 1e-12, "\(r.applied_rms_units) vs \(want)")
    }
}
