import BMRUModel
import Foundation

// Agreement of a crossbar-RNN circuit with its model, frame by frame, from the ADC codes the circuit counted.
//
// Two comparisons, both against the quantized model (the ramp ADC as designed, perfect devices):
// - free running: the model runs on the stimulus alone, as software would; a code that differs once is fed back
//   and can move later frames, so this is what a user of the twin sees;
// - one step: every frame of every layer is predicted from the circuit's own inputs and previous state
//   (`CrossbarModel.oneStep`), so each frame's error is its own.
// The gate: one-step codes within one level everywhere, one-step exact agreement and the sequence decision.

/// What the circuit computed, per layer: its codes (frames × units) and, when probed, its pre-activations in
/// weight units (the column integrator read at the end of integration).
public struct CrossbarCircuitFrames: Sendable, Equatable {
    public var codes: [String: [[Int]]]
    public var preActivations: [String: [[Double]]]
    public init(codes: [String: [[Int]]], preActivations: [String: [[Double]]] = [:]) {
        self.codes = codes; self.preActivations = preActivations
    }
}

public struct CrossbarGate: Codable, Equatable, Sendable {
    /// one-step exact code agreement required (fraction of the frame × unit pairs that are not ambiguous)
    public var required_exact: Double = 0.95
    /// a one-step pair is ambiguous when the model's pre-activation lies within this fraction of the local
    /// threshold spacing of a ramp threshold: the circuit's analog error decides which side it lands on
    public var margin_fraction: Double = 0.1
    /// one-step pairs within one level required
    public var required_within_one: Double = 1.0
    public var require_decision_agreement = true
    public init() {}
}

public struct CrossbarAgreementReport: Codable, Equatable, Sendable {
    public struct NetworkInfo: Codable, Equatable, Sendable {
        public var name: String
        public var file: String?
        public var sha256: String?
        public var frame_period_s: Double
    }

    public struct Codes: Codable, Equatable, Sendable {
        /// frame × unit pairs compared
        public var pairs: Int
        /// one step only: pairs whose model pre-activation lies within the margin of a threshold, left out of `exact`
        public var ambiguous: Int
        /// fraction of the non-ambiguous pairs with equal codes
        public var exact: Double
        public var within_one: Double
        public var max_abs_difference: Int
        /// RMS of (circuit − model) output over the pairs, in the layer's LSB
        public var rms_lsb: Double
        /// the first differing pair, "unit@frame"
        public var first_difference: String?
    }

    public struct Layer: Codable, Equatable, Sendable {
        public var kind: String
        public var units: Int
        public var activation: String
        public var adc_bits: Int
        public var lsb: Double
        public var one_step: Codes
        public var free_running: Codes
        /// RMS of circuit − one-step-model pre-activation, weight units (nil when not probed)
        public var pre_rms_error: Double?
        /// pre_rms_error as a fraction of the ADC range
        public var pre_rms_error_of_range: Double?
        /// one-step pre-activations of the model outside adc_range (the ramp saturates there)
        public var pre_outside_range: Int
    }

    public struct Decisions: Codable, Equatable, Sendable {
        /// frames whose argmax of the last layer's outputs agrees (free running)
        public var frame_agreement: Double
        public var circuit_sequence_decision: Int
        public var model_sequence_decision: Int
        public var sequence_agrees: Bool
    }

    public var network: NetworkInfo
    /// what the circuit was compared with: "quantized" (the ramp ADC as designed, nominal weights) or
    /// "circuit_aware" (the conductances and ramp steps as programmed)
    public var model: String
    public var frames: Int
    /// inputs outside the network's input_range (reported, not part of the gate)
    public var inputs_outside_range: Int
    public var layers: [String: Layer]
    /// layer names in network order
    public var layer_order: [String]
    /// over the non-ambiguous one-step pairs
    public var one_step_exact: Double
    /// one-step pairs near a threshold (see `thresholds.margin_fraction`), left out of `one_step_exact`
    public var one_step_ambiguous: Int
    public var one_step_within_one: Double
    public var free_running_exact: Double
    public var decision: Decisions
    /// supply power by part, watts (nil when not measured)
    public var power_w: [String: Double]?
    public var thresholds: CrossbarGate
    public var definitions: [String: String]
    public var timing_s: Double
    public var pass: Bool
}

public enum CrossbarAgreement {
    /// The decision of a frame: the index of the largest output (the first one on ties).
    public static func argmax(_ v: [Double]) -> Int { Decisions.argmax(v) }

    /// The decision of a sequence: the most frequent frame decision (the lowest on ties).
    public static func majority(_ frameDecisions: [Int], classes: Int) -> Int {
        var votes = [Int](repeating: 0, count: max(classes, 1))
        for d in frameDecisions { votes[d] += 1 }
        return argmax(votes.map(Double.init))
    }

    /// Whether `x` lies within `fraction` of the local spacing of one of the ascending `thresholds`.
    public static func nearThreshold(_ x: Double, _ thresholds: [Double], fraction: Double) -> Bool {
        guard fraction > 0, !thresholds.isEmpty else { return false }
        let k = RampADC.code(x, thresholds: thresholds)  // thresholds[k − 1] ≤ x < thresholds[k]
        for j in [k - 1, k] where thresholds.indices.contains(j) {
            let lo = j > 0 ? thresholds[j] - thresholds[j - 1] : nil, hi = j + 1 < thresholds.count ? thresholds[j + 1] - thresholds[j] : nil
            let spacing = [lo, hi].compactMap { $0 }.min() ?? 1
            if abs(x - thresholds[j]) < fraction * spacing { return true }
        }
        return false
    }

    /// `pre` and `thresholds` (the model's, per unit): pairs near a threshold are ambiguous (left out of `exact`).
    static func codes(_ circuit: [[Int]], _ model: [[Int]], adc: RampADC, pre: [[Double]]? = nil, thresholds: [[Double]]? = nil,
                      margin: Double = 0) -> CrossbarAgreementReport.Codes {
        var pairs = 0, exact = 0, one = 0, maxd = 0, sq = 0.0, ambiguous = 0
        var first: String?
        for (t, row) in circuit.enumerated() {
            for (i, c) in row.enumerated() {
                let d = abs(c - model[t][i])
                pairs += 1
                if let pre, let thresholds, nearThreshold(pre[t][i], thresholds[i], fraction: margin) {
                    ambiguous += 1
                } else if d == 0 { exact += 1 } else if first == nil { first = "\(i)@\(t)" }
                if d <= 1 { one += 1 }
                maxd = max(maxd, d)
                sq += Double(d * d)
            }
        }
        let n = Double(max(pairs, 1))
        return .init(pairs: pairs, ambiguous: ambiguous, exact: Double(exact) / Double(max(pairs - ambiguous, 1)),
                     within_one: Double(one) / n, max_abs_difference: maxd, rms_lsb: (sq / n).squareRoot(), first_difference: first)
    }

    /// Compares the circuit's codes with the quantized model. Throws when the circuit data do not cover every
    /// layer, frame and unit.
    /// `realisation`: compare with the circuit-aware model (what the programmed devices realise) instead of the
    /// nominal quantized model; `modelName` says which in the report.
    public static func compare(network: CrossbarNetwork, stimulus: Stimulus, circuit: CrossbarCircuitFrames,
                               gate: CrossbarGate = CrossbarGate(), file: String? = nil, sha256: String? = nil,
                               power: [String: Double]? = nil, seconds: Double = 0,
                               realisation: CrossbarRealisation? = nil) throws -> CrossbarAgreementReport {
        for l in network.layers {
            guard let c = circuit.codes[l.name], c.count == stimulus.count, c.allSatisfy({ $0.count == l.units }) else {
                throw CoSimError(kind: .probe, message: "the circuit's codes of layer \(l.name) do not cover \(stimulus.count) frames × \(l.units) units")
            }
        }
        let model = CrossbarModel(network: network, mode: .quantized)
        let free = model.run(stimulus, realisation: realisation)
        let circuitOutputs = network.layers.map { l in circuit.codes[l.name]!.map { $0.map { l.adc.value(code: $0) } } }
        let step = model.oneStep(stimulus, circuitOutputs: circuitOutputs, realisation: realisation)
        var layers = [String: CrossbarAgreementReport.Layer]()
        var sums = (pairs: 0, exact: 0.0, one: 0.0, free: 0.0, ambiguous: 0)
        for (k, l) in network.layers.enumerated() {
            let adc = l.adc
            let c = circuit.codes[l.name]!
            let th = realisation?.layers[k].thresholds ?? Array(repeating: adc.thresholds, count: l.units)
            let os = codes(c, step.layers[k].codes!, adc: adc, pre: step.layers[k].preActivations, thresholds: th, margin: gate.margin_fraction)
            let fr = codes(c, free.layers[k].codes!, adc: adc)
            var preErr: Double?
            if let p = circuit.preActivations[l.name], p.count == stimulus.count {
                var sq = 0.0, n = 0
                for (t, row) in p.enumerated() { for (i, v) in row.enumerated() { sq += pow(v - step.layers[k].preActivations[t][i], 2); n += 1 } }
                preErr = (sq / Double(max(n, 1))).squareRoot()
            }
            let outside = step.layers[k].preActivations.reduce(0) { $0 + $1.filter { !l.adcRange.contains($0) }.count }
            layers[l.name] = .init(kind: l.kind.rawValue, units: l.units, activation: l.activation.name, adc_bits: l.adcBits,
                                   lsb: adc.lsb, one_step: os, free_running: fr, pre_rms_error: preErr,
                                   pre_rms_error_of_range: preErr.map { $0 / (l.adcRange.upperBound - l.adcRange.lowerBound) },
                                   pre_outside_range: outside)
            sums.pairs += os.pairs
            sums.exact += os.exact * Double(os.pairs - os.ambiguous); sums.one += os.within_one * Double(os.pairs)
            sums.free += fr.exact * Double(fr.pairs)
            sums.ambiguous += os.ambiguous
        }
        let last = network.layers.count - 1
        let classes = network.layers[last].units
        let cDec = circuitOutputs[last].map(argmax), mDec = free.layers[last].outputs.map(argmax)
        let frameAgree = Double(zip(cDec, mDec).filter { $0 == $1 }.count) / Double(max(stimulus.count, 1))
        let decision = CrossbarAgreementReport.Decisions(
            frame_agreement: frameAgree, circuit_sequence_decision: majority(cDec, classes: classes),
            model_sequence_decision: majority(mDec, classes: classes),
            sequence_agrees: majority(cDec, classes: classes) == majority(mDec, classes: classes))
        let n = Double(max(sums.pairs, 1))
        let exact = sums.exact / Double(max(sums.pairs - sums.ambiguous, 1)), one = sums.one / n
        let pass = exact >= gate.required_exact && one >= gate.required_within_one
            && (decision.sequence_agrees || !gate.require_decision_agreement)
        return CrossbarAgreementReport(
            network: .init(name: network.name, file: file, sha256: sha256, frame_period_s: network.framePeriod),
            model: realisation == nil ? "quantized" : "circuit_aware", frames: stimulus.count, inputs_outside_range: model.inputsOutsideRange(stimulus).count,
            layers: layers, layer_order: network.layers.map(\.name),
            one_step_exact: exact, one_step_ambiguous: sums.ambiguous, one_step_within_one: one, free_running_exact: sums.free / n,
            decision: decision, power_w: power, thresholds: gate, definitions: definitions, timing_s: seconds, pass: pass)
    }

    public static let definitions: [String: String] = [
        "code": "the ramp ADC's count for a unit in a frame: how many ramp thresholds lie at or below its pre-activation",
        "one_step": "the model predicts each frame of each layer from the circuit's own inputs to that layer and its own previous state, so a difference is that frame's",
        "free_running": "the model runs on the stimulus alone; a differing code is fed back and may move later frames",
        "exact": "fraction of frame × unit pairs with equal codes (one step: of the pairs that are not ambiguous)",
        "ambiguous": "a one-step pair whose model pre-activation lies within margin_fraction of the local threshold spacing of a ramp threshold; the circuit's analog error decides its side, so it is left out of exact (within_one still counts it)",
        "within_one": "fraction of pairs whose codes differ by at most one level",
        "rms_lsb": "RMS of circuit − model code difference, in levels (LSB)",
        "pre_rms_error": "RMS of the circuit's pre-activation (column integrator at the end of integration) − the one-step model's, in weight units",
        "decision": "frame decision: index of the largest output of the last layer; sequence decision: the most frequent frame decision",
        "pass": "one_step_exact ≥ required_exact, one_step_within_one ≥ required_within_one, and (when required) the sequence decisions agree",
    ]
}
