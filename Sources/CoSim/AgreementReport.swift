import BMRUModel
import Foundation

// The co-simulation report. `report.json` is this value encoded with sorted keys; the top-level keys
// `network frames units state_agreement ambiguous decision_agreement first_divergence layers power_w
// thresholds pass` are a stable contract (README, "report.json"); `noise` is present only for runs with input noise.

public struct AgreementReport: Codable, Equatable, Sendable {
    public struct NetworkInfo: Codable, Equatable, Sendable {
        public var name: String
        public var file: String?
        public var sha256: String?
        public var unit_current_a: Double
        public var frame_period_s: Double
    }

    public struct Ambiguity: Codable, Equatable, Sendable {
        /// (frame, unit) pairs whose model candidate lies within the margin of a threshold, or that hold a
        /// state decided on such a frame (candidate still inside the hysteresis band)
        public var count: Int
        public var margin_units: Double
        /// the pairs, as "layer[unit]@frame" with the candidate (capped at 200 entries)
        public var pairs: [AmbiguousPair]
    }

    public struct AmbiguousPair: Codable, Equatable, Sendable {
        public var layer: String
        public var unit: Int
        public var frame: Int
        public var candidate: Double
        public var circuit_state: Int
        public var model_state: Int
        /// "near_threshold": the candidate lies within the margin of θ_low or θ_high;
        /// "held_after_ambiguous": the candidate stays inside the hysteresis band after such a frame, so both
        /// sides hold the state they chose there
        public var reason: String
    }

    public struct Divergence: Codable, Equatable, Sendable {
        public var frame: Int
        public var layer: String
        public var unit: Int
        public var circuit_state: Int
        public var model_state: Int
        /// the model's candidate, model units
        public var model_candidate: Double
        /// the circuit's candidate current at the end of the frame, in model units (nil if not probed)
        public var circuit_candidate: Double?
        public var theta_low: Double
        public var theta_high: Double
        /// the latest frame ≤ `frame` at which this unit's state is path dependent (`path_dependence`), if any:
        /// the circuit may have taken the other state there on the way between frames
        public var path_dependent_from: Int? = nil
    }

    /// (frame, unit) pairs whose frame-level state depends on how the inputs move between frames
    /// (`IdealModel.pathHazards`: the inputs ramped linearly in `substeps` steps end in another state than
    /// inputs that jump). Present only when there are any; informative, not part of the gate.
    public struct PathDependence: Codable, Equatable, Sendable {
        public var substeps: Int
        public var count: Int
        /// the first 200, by frame
        public var pairs: [PathHazard]
    }

    public struct LayerCurrents: Codable, Equatable, Sendable {
        public var kind: String
        /// RMS of (circuit − model) output current over units and the frames where every bmru state of the
        /// network agrees (`frames_compared`), amperes
        public var rms_error_a: Double
        public var max_abs_error_a: Double
        /// rms_error_a / RMS of the model's output current; null when the model's current is 0 throughout
        public var rms_rel_error: Double?
        public var model_rms_a: Double
        /// frames the current errors cover: those where every bmru state agrees
        public var frames_compared: Int
        /// bmru layers: state agreement of this layer's units (non-ambiguous pairs)
        public var state_agreement: Double?
    }

    public struct Decision: Codable, Equatable, Sendable {
        /// fraction of non-ambiguous frames whose argmax over the last layer's outputs agrees
        public var frame_agreement: Double
        /// frames whose model outputs lie within the margin of each other (no clear winner), left out
        public var ambiguous_frames: Int
        public var circuit_sequence_decision: Int
        public var model_sequence_decision: Int
        public var sequence_agrees: Bool
    }

    public struct Thresholds: Codable, Equatable, Sendable {
        public var required_state_agreement: Double
        public var require_decision_agreement: Bool
        public var margin_units: Double
        /// decision ambiguity band, relative to the largest output magnitude
        public var decision_margin_rel: Double
        /// circuit state threshold on `s_<L>_<i>`, volts (VDD/2)
        public var state_threshold_v: Double
    }

    public struct Conditions: Codable, Equatable, Sendable {
        public var corner: String
        public var vdd: Double
        public var temperature_c: Double
        /// the deck file simulated in place of the emitted deck (`bmru cosim --deck`); nil: the emitted deck
        public var deck_file: String?
        /// the PDK's Monte Carlo draw (ngspice's seed); nil: none
        public var mismatch_seed: UInt64?
        /// the shared sample's seed (bmru's per-device draws in the deck); nil: none
        public var shared_mismatch_seed: UInt64? = nil
        /// what the circuit was compared with: "ideal" or "circuit_aware" (nil in reports made before it existed)
        public var model: String? = nil
        /// how the ideal model moves its inputs from one frame to the next: "linear ramp, N steps" (it follows the
        /// path, as the circuit's sources do) or "jump"; nil for other models
        public var model_between_frames: String? = nil
    }

    public struct Timing: Codable, Equatable, Sendable {
        public var deck_load_s: Double
        public var analysis_s: Double
        public var model_s: Double
        public var total_s: Double
    }

    /// Noise robustness of a run with input-referred noise (`bmru cosim --input-noise`): the noisy run against
    /// the reference, the ideal model on the clean stimulus. If noise accumulated through time (states
    /// knocked over and never restored), the second half of the frames would differ more than the first.
    public struct NoiseRobustness: Codable, Equatable, Sendable {
        public struct Side: Codable, Equatable, Sendable {
            /// fraction of (frame, bmru unit) states that differ from the reference, over all frames and
            /// over frames [0, ⌊T/2⌋) and [⌊T/2⌋, T); nil when there are no such pairs
            public var state_difference: Double?
            public var state_difference_first_half: Double?
            public var state_difference_second_half: Double?
            /// majority over frames of the last layer's argmax (nil when it has fewer than 2 outputs)
            public var sequence_decision: Int?
            /// the sequence decision differs from the reference's
            public var decision_changed: Bool?
            /// fraction of frames whose argmax differs from the reference's
            public var frame_decisions_changed: Double?
        }
        /// σ, model units RMS per frame and input
        public var sigma_units: Double
        public var seed: UInt64
        /// RMS over frames and inputs of (noisy − max(clean, 0)): the noise the circuit actually saw (both sides clipped at 0)
        public var applied_rms_units: Double
        public var first_half_frames: Int
        public var second_half_frames: Int
        /// the reference's sequence decision (ideal model, clean stimulus)
        public var reference_sequence_decision: Int?
        /// the circuit, simulated on the noisy stimulus
        public var circuit: Side
        /// the behavioural model on the same noisy stimulus
        public var model: Side
    }

    public var network: NetworkInfo
    public var frames: Int
    public var units: Int
    /// fraction of non-ambiguous (frame, unit) pairs whose circuit state equals the model's
    public var state_agreement: Double
    public var ambiguous: Ambiguity
    /// frame-level argmax agreement of the last layer over non-ambiguous frames (1 when it has fewer than 2 outputs)
    public var decision_agreement: Double
    public var decision: Decision?
    public var first_divergence: Divergence?
    public var layers: [String: LayerCurrents]
    /// average supply power over the run, watts: "total", per layer (its mirrors and cells) and "bias" (the shared
    /// bias generator and every layer's references); `power_parts` splits it by function
    public var power_w: [String: Double]
    public var thresholds: Thresholds
    public var conditions: Conditions
    public var timing: Timing
    public var pass: Bool
    /// why it failed, in words (empty when it passed)
    public var failures: [String]
    /// runs with input noise only (absent from the JSON otherwise)
    public var noise: NoiseRobustness? = nil
    /// runs with path-dependent frames only (absent from the JSON otherwise)
    public var path_dependence: PathDependence? = nil
    /// average power by function, watts, in network order (layers) then the shared bias generator; the parts add
    /// up to `power_w.total` (absent from reports made before it existed)
    public var power_parts: [PowerPart]? = nil
    /// the ideal model started each frame from the circuit's own states of the frame before (absent without bmru
    /// layers, and in reports made before it existed): one excused difference does not cascade into later frames
    public var one_step: OneStep? = nil

    public struct OneStep: Codable, Equatable, Sendable {
        /// fraction of the non-ambiguous (frame, unit) pairs whose one-step prediction is the circuit's state
        public var agreement: Double
        public var pairs: Int
        /// pairs left out: the one-step candidate within the margin of a threshold
        public var ambiguous: Int
        public init(agreement: Double, pairs: Int, ambiguous: Int) { self.agreement = agreement; self.pairs = pairs; self.ambiguous = ambiguous }
    }

    /// One function's share of the power.
    public struct PowerPart: Codable, Equatable, Sendable {
        /// the layer; nil for the shared bias generator
        public var layer: String?
        /// "mirrors" (a dense layer's weights, bias and output copies), "candidate_matrix" (a bmru layer's W·x + b),
        /// "comparators", "level_copies" (a bmru layer's cells), "references" (bias references of the layer's cells
        /// and negative biases), "bias_generator"
        public var part: String
        public var watts: Double
        public init(layer: String?, part: String, watts: Double) { self.layer = layer; self.part = part; self.watts = watts }
    }

    /// Deterministic JSON (sorted keys, pretty).
    public func json() throws -> Data {
        try ReportJSON.encode(self)
    }

    public static func decode(_ data: Data) throws -> AgreementReport {
        try ReportJSON.decode(AgreementReport.self, from: data)
    }
}

/// Frame-by-frame values of both sides, kept for the waveform CSV and the HTML plots.
public struct CoSimTraces: Sendable {
    public struct Series: Sendable {
        public var name: String          // e.g. "cell1[0].state", "out[1].current"
        public var layer: String
        public var unit: Int?
        public var quantity: String      // "state", "candidate", "current", "supply"
        /// circuit value at the end of every frame (states 0/1, currents in model units, supply in W)
        public var circuit: [Double]
        /// the model's value per frame (nil for supplies)
        public var model: [Double]?
    }
    public var frames: Int
    public var framePeriod: Double
    public var series: [Series]
    /// continuous circuit waveforms of the states (time, volts), decimated for plotting
    public var stateWaveforms: [String: (time: [Double], volts: [Double])]
    /// ambiguous (frame, unit) pairs by series name of the state
    public var ambiguousFrames: [String: Set<Int>]
    public var thresholds: [String: (low: Double, high: Double)]
    public var vdd: Double
    /// the layers' names in network order
    public var layerOrder: [String] = []
    /// the stimulus the circuit and the model ran on (with input noise, the noisy one), model units, frame-major
    public var stimulus: [[Double]] = []
    /// amperes per model unit
    public var unitCurrent: Double = 1e-9
}
