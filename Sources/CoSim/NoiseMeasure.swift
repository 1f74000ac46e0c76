import BMRUModel
import Foundation

/// The noise robustness of a noisy run: its states and decisions against the ideal model on the clean stimulus.
enum NoiseMeasure {
    static func robustness(network: Network, clean: Stimulus, noisy: Stimulus, noise: InputNoise, model: ModelTrace,
                           circuitStates: [[Int]: [Int]], circuitOutputs: [[Double]]?) -> AgreementReport.NoiseRobustness {
        let reference = IdealModel(network: network).run(clean)
        let frames = clean.count
        let half = frames / 2
        // the reference's and the model's states per (layer, unit)
        var refStates: [[Int]: [Int]] = [:], modelStates: [[Int]: [Int]] = [:]
        for (li, layer) in network.layers.enumerated() where layer.kind == .bmru {
            guard let rs = reference.layers[li].states, let ms = model.layers[li].states else { continue }
            for j in 0..<layer.outputs {
                refStates[[li, j]] = rs.map { $0[j] }
                modelStates[[li, j]] = ms.map { $0[j] }
            }
        }
        let refDecisions = decisions(reference.layers.last?.outputs, network: network)
        func side(_ states: [[Int]: [Int]], outputs: [[Double]]?) -> AgreementReport.NoiseRobustness.Side {
            var differ = [0, 0], count = [0, 0]
            for (key, ref) in refStates {
                guard let s = states[key] else { continue }
                for t in 0..<min(frames, ref.count, s.count) {
                    let h = t < half ? 0 : 1
                    count[h] += 1
                    if s[t] != ref[t] { differ[h] += 1 }
                }
            }
            func frac(_ d: Int, _ n: Int) -> Double? { n > 0 ? Double(d) / Double(n) : nil }
            var side = AgreementReport.NoiseRobustness.Side(
                state_difference: frac(differ[0] + differ[1], count[0] + count[1]),
                state_difference_first_half: frac(differ[0], count[0]),
                state_difference_second_half: frac(differ[1], count[1]))
            if let ref = refDecisions, let own = decisions(outputs, network: network) {
                side.sequence_decision = own.sequence
                side.decision_changed = own.sequence != ref.sequence
                let changed = zip(own.frames, ref.frames).filter { $0 != $1 }.count
                side.frame_decisions_changed = frames > 0 ? Double(changed) / Double(frames) : nil
            }
            return side
        }
        var sq = 0.0, n = 0
        for (a, b) in zip(noisy.frames, clean.frames) {
            // against what the circuit would have seen without noise: the clean input clipped at 0, as the noisy one is
            for (x, y) in zip(a, b) { sq += (x - max(y, 0)) * (x - max(y, 0)); n += 1 }
        }
        return .init(sigma_units: noise.sigma, seed: noise.seed, applied_rms_units: n > 0 ? (sq / Double(n)).squareRoot() : 0,
                     first_half_frames: half, second_half_frames: frames - half,
                     reference_sequence_decision: refDecisions?.sequence,
                     circuit: side(circuitStates, outputs: circuitOutputs),
                     model: side(modelStates, outputs: model.layers.last?.outputs))
    }

    /// per-frame argmax and the sequence decision (majority) of the last layer's outputs; nil for fewer than 2 outputs
    static func decisions(_ outputs: [[Double]]?, network: Network) -> (frames: [Int], sequence: Int)? {
        guard let rows = outputs, let last = network.layers.last, last.outputs >= 2 else { return nil }
        let f = rows.map(Decisions.argmax)
        return (f, Decisions.majority(f, classes: last.outputs))
    }
}
