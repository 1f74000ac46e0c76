// The noise-immunity study (`bmru noise`): how much analog error a bmru cell boundary removes, what it costs in
// state flips, and whether error accumulates through time, against a continuous-state baseline.
//
// Every quantity is measured against the same circuit without noise (the noiseless run of the study: same
// deck, corner, supply and temperature), so that it is the noise's effect and not the circuit's systematic
// departure from the model, which the noiseless run's own row reports against the ideal model (and the
// `*_vs_model` fields of every row). The baseline is measured against itself without noise. Definitions
// (also written into noise.json):
//   input error   e_in  = c_noisy − c_noiseless    the cell's candidate current at the end of each frame (units)
//   output error  e_out = y_noisy − y_noiseless    the cell's output current at the end of each frame (units)
//   input_error_rms / output_error_rms: RMS over every (frame, unit) pair of the layer (flipped pairs included)
//   flip_rate: fraction of the pairs whose state differs from the noiseless circuit's
//   ratio = input_error_rms / output_error_rms;  ratio_state_kept: the same over the pairs that kept the
//     reference's state (the boundary's suppression where the cell made the reference's decision)
//   suppression: at the sweep's largest σ whose flip rate is ≤ 1 % in every layer (source "device", else the
//     first source): the worst layer's ratio_state_kept, with the flip rate there (the price) and the all-pairs
//     ratio beside it; and, separately, the largest σ with no flip at all and its (all-pairs) ratio
//   accumulation: e_t = RMS over all cells' outputs at frame t (noisy − noiseless); slope of e_t over t (least
//     squares), RMS of e_t over the first and the last quarter of the frames; input and device noise only
// The circuit runs in ngspice (one process, one run at a time: libngspice is one simulator per process);
// the baseline is the behavioural continuous-state network of BMRUModel/ContinuousBaseline.swift under the
// same draws (the device noise's value at each frame's end, the same input noise).

import BMRUModel
import CoSim
import Foundation
import Netlist

/// A noise source of the study.
public enum NoiseSourceKind: String, Codable, Sendable, CaseIterable {
    /// Gaussian noise on every input of every frame (InputNoise), σ units
    case input
    /// noise currents at the cells' candidate and state nodes (DeviceNoise), σ units per draw
    case device
    /// a shared mismatch sample of the calibrated A_VT (σ = 1 means the PDK's A_VT; one sample per run)
    case mismatch
}

public struct NoiseStudyOptions: Sendable {
    public var sources: [NoiseSourceKind] = [.input, .device]
    /// σ values of the sweep (units; for mismatch the A_VT scale is 1 whatever the σ)
    public var sigmas: [Double] = [0.02, 0.05, 0.1, 0.2]
    /// noise seeds per (source, σ)
    public var samples = 1
    public var seed: UInt64 = 1
    /// frames of the accumulation runs (the stimulus repeated until it has at least this many)
    public var accumulationFrames = 500
    /// σ of the accumulation runs (input and device noise together); nil: the suppression's σ
    public var accumulationSigma: Double?
    public var drawsPerFrame = 10
    /// the mismatch source's A_VT (from the calibration tables); required when `sources` has .mismatch
    public var avt: (nmos: Double, pmos: Double)?
    /// corner, supply, temperature, models, calibration of every run
    public var cosim: CoSimOptions

    public init(cosim: CoSimOptions) { self.cosim = cosim }
}

/// One simulation of the study.
public struct NoiseRun: Codable, Equatable, Sendable {
    public var id: String
    /// "none", a source, or "together" (every source of the study at once)
    public var source: String
    public var sigma: Double
    public var sample: Int
    /// an accumulation run (on the long stimulus)
    public var long: Bool
    public init(id: String, source: String, sigma: Double, sample: Int, long: Bool) {
        self.id = id; self.source = source; self.sigma = sigma; self.sample = sample; self.long = long
    }
}

/// What one run measured, per bmru layer (sums, so runs and samples add up).
public struct NoiseRunResult: Codable, Equatable, Sendable {
    public struct Layer: Codable, Equatable, Sendable {
        public var layer: String
        public var pairs: Int
        public var flips: Int
        public var input_sq: Double
        public var output_sq: Double
        public var output_sq_kept: Double
        /// against the ideal model on the clean stimulus
        public var model_flips = 0
        public var model_input_sq = 0.0
        public var model_output_sq = 0.0
        public init(layer: String, pairs: Int, flips: Int, input_sq: Double, output_sq: Double, output_sq_kept: Double) {
            self.layer = layer; self.pairs = pairs; self.flips = flips
            self.input_sq = input_sq; self.output_sq = output_sq; self.output_sq_kept = output_sq_kept
        }
    }
    /// The circuit's frame-end values of one bmru layer (frame-major T·units): kept for the noiseless runs,
    /// which the others are measured against.
    public struct Trace: Codable, Equatable, Sendable {
        public var layer: String
        public var candidate: [Double]
        public var state: [Int]
        public var output: [Double]
    }
    /// the measurement's definition version (a resumed study reuses only runs of this version)
    public var version = NoiseRunResult.currentVersion
    public static let currentVersion = 2
    public var run: NoiseRun
    public var layers: [Layer]
    /// e_t per frame (accumulation runs)
    public var frame_error: [Double]?
    public var seconds: Double
    /// noiseless runs only
    public var traces: [Trace]?
    public init(run: NoiseRun, layers: [Layer], frame_error: [Double]?, seconds: Double, traces: [Trace]? = nil) {
        self.run = run; self.layers = layers; self.frame_error = frame_error; self.seconds = seconds; self.traces = traces
    }
}

/// `DIR/noise.json`.
public struct NoiseStudyResult: Codable, Equatable, Sendable {
    public var format = "bmru-noise"
    public var version = 1
    public var network: String
    public var frames: Int
    public var corner: String
    public var temperature_c: Double
    public var definitions: [String: String]
    public var cells: [Cell]
    public var suppression: Suppression
    public var accumulation: Accumulation
    /// accumulation at the other σ of the study (the flip-free σ when it differs from the suppression's)
    public var accumulation_more: [Accumulation]
    /// what the devices' own shot noise amounts to in the study's terms, per bmru layer
    public var device_noise_physical: [Physical]
    public var runs: Int

    public struct Physical: Codable, Equatable, Sendable {
        public var layer: String
        /// mean candidate current of the layer's cells over the stimulus (ideal model), A
        public var mean_candidate_a: Double
        /// RMS of the shot noise of that current in the draws' bandwidth, units
        public var shot_sigma_units: Double
    }

    public struct Cell: Codable, Equatable, Sendable {
        public var layer: String
        public var source: String
        public var sigma: Double
        public var samples: Int
        public var input_error_rms: Double
        public var output_error_rms: Double
        public var ratio: Double?
        public var output_error_rms_state_kept: Double
        public var ratio_state_kept: Double?
        public var flip_rate: Double
        /// "noiseless_circuit" (the noise's effect) or, for the noiseless run's row, "ideal_model"
        public var reference: String
        /// against the ideal model on the clean stimulus: what the twin predicted
        public var flip_rate_vs_model: Double
        public var output_error_rms_vs_model: Double
    }
    public struct Suppression: Codable, Equatable, Sendable {
        public var value: Double?
        public var sigma: Double?
        public var source: String?
        public var flip_rate: Double?
        /// the worst layer's all-pairs ratio at `sigma` (flipped pairs included)
        public var ratio_all_pairs: Double?
        /// the largest σ of the sweep with no flip in any layer, and the worst layer's ratio there
        public var flip_free_sigma: Double?
        public var flip_free_value: Double?
        public var definition: String
    }
    public struct Trend: Codable, Equatable, Sendable {
        public var kind: String
        public var slope_per_frame: Double
        public var first_quarter_rms: Double
        public var last_quarter_rms: Double
        /// last / first quarter
        public var growth: Double?
        public var frame_error: [Double]
    }
    public struct Accumulation: Codable, Equatable, Sendable {
        public var frames: Int
        public var sigma: Double
        public var bmru: Trend
        /// the noiseless circuit against the ideal model: the circuit's systematic departure, for scale
        public var bmru_noiseless: Trend
        public var baseline: Trend
    }

    public func json() throws -> Data { try ReportJSON.encode(self) }
    public static func decode(_ data: Data) throws -> NoiseStudyResult { try ReportJSON.decode(NoiseStudyResult.self, from: data) }
}

/// Why the study failed.
public struct NoiseStudyError: Error, CustomStringConvertible, Sendable {
    public var run: String
    public var reason: String
    public var description: String { "noise run \(run): \(reason)" }
}

public enum NoiseStudy {
    public static let definitions: [String: String] = [
        "reference": "the same circuit without noise (the study's noiseless run); its own row (source none) compares it with the ideal model on the clean stimulus (reference ideal_model); the baseline against itself without noise",
        "input_error_rms": "RMS over the layer's (frame, unit) pairs of candidate(noisy) − candidate(noiseless), units, at each frame's end",
        "output_error_rms": "RMS over the same pairs (flipped ones included) of output(noisy) − output(noiseless), units",
        "flip_rate_vs_model": "fraction of the pairs whose state differs from the ideal model's on the clean stimulus (output_error_rms_vs_model likewise)",
        "ratio": "input_error_rms / output_error_rms",
        "output_error_rms_state_kept": "output_error_rms over the pairs whose state equals the noiseless circuit's",
        "ratio_state_kept": "input_error_rms / output_error_rms_state_kept: the boundary's suppression where the cell kept the reference's decision",
        "flip_rate": "fraction of the layer's pairs whose state differs from the noiseless circuit's",
        "sigma": "input: σ of N(0, σ²) on every input of every frame (units); device: RMS of each draw of the noise currents at every cell's candidate and state node (units), one draw every frame/draws_per_frame, linear in between; mismatch: 1 = the calibrated A_VT",
        "suppression": "value: the worst layer's ratio_state_kept at the largest σ > 0 of the sweep whose flip rate is ≤ 1 % in every layer, for the device source (else the first source); flip_rate: the largest layer flip rate there (the price: each flip is a whole level of error); ratio_all_pairs: the worst layer's ratio there with the flipped pairs included; flip_free_sigma / flip_free_value: the largest σ with no flip in any layer and the worst layer's ratio there (all pairs, which are then all kept)",
        "accumulation": "e_t = RMS over every cell's output of output(noisy) − output(noiseless) at frame t; slope by least squares over t; first/last quarter RMS of e_t; the stimulus repeated to the accumulation length; input and device noise (whichever the study has) at the accumulation σ, no mismatch",
        "device_noise_physical": "shot noise of the mean candidate current I of each layer, two devices per copy (the mirror's diode and its output): σ = √(2·q·I·2·B) / I_unit in the draws' bandwidth B = draws_per_frame / (2·frame period); flicker noise is not included",
        "baseline": "continuous-state analog memory cells of the same thresholds and network (BMRUModel/ContinuousBaseline.swift): u_t = clip(u_{t−1} + κ(c_t − θ_high)⁺ − κ(θ_low − c_t)⁺ + m_t/level, 0, 1), κ = 1/(θ_high − θ_low); behavioural, under the same input draws and the device draws' values at the frame ends (candidate and state sites)",
    ]

    /// The runs of the study, in order: the noiseless run, the sweep, the accumulation runs.
    public static func plan(_ o: NoiseStudyOptions) -> [NoiseRun] {
        var runs = [NoiseRun(id: "none", source: "none", sigma: 0, sample: 0, long: false)]
        func key(_ s: Double) -> String { NumberText.spice(s) }
        var kinds = o.sources.map(\.rawValue)
        if o.sources.count > 1 { kinds.append("together") }
        for kind in kinds {
            let sigmas = kind == NoiseSourceKind.mismatch.rawValue ? [1.0] : o.sigmas
            for s in sigmas {
                for k in 0..<o.samples {
                    runs.append(NoiseRun(id: "\(kind)-s\(key(s))-k\(k)", source: kind, sigma: s, sample: k, long: false))
                }
            }
        }
        return runs
    }

    static func longRuns(sigma: Double) -> [NoiseRun] {
        [NoiseRun(id: "long-none", source: "none", sigma: 0, sample: 0, long: true),
         NoiseRun(id: "long-together-s\(NumberText.spice(sigma))", source: "together", sigma: sigma, sample: 0, long: true)]
    }

    /// The stimulus repeated until it has at least `frames` frames.
    public static func longStimulus(_ s: Stimulus, frames: Int) -> Stimulus {
        var rows: [[Double]] = []
        while rows.count < max(frames, s.count) { rows += s.frames }
        return Stimulus(frames: rows, inputs: s.inputs)
    }

    static func seed(_ o: NoiseStudyOptions, _ r: NoiseRun) -> UInt64 {
        (o.seed &* 1000 &+ UInt64(r.sample)) &* 7 &+ (r.long ? 3 : 1)
    }

    /// The co-simulation options of a run.
    static func options(_ o: NoiseStudyOptions, _ r: NoiseRun) throws -> CoSimOptions {
        var c = o.cosim
        c.rawPath = nil
        c.requiredStateAgreement = 0
        c.requireDecisionAgreement = false
        c.behaviouralModel = nil
        let s = seed(o, r)
        let all = r.source == "together"
        if r.source == "input" || (all && o.sources.contains(.input)) { c.inputNoise = InputNoise(sigma: r.sigma, seed: s) }
        if r.source == "device" || (all && o.sources.contains(.device)) {
            c.deviceNoise = DeviceNoise(sigma: r.sigma, seed: s, drawsPerFrame: o.drawsPerFrame)
        }
        if r.source == "mismatch" || (all && !r.long && o.sources.contains(.mismatch)) {
            guard let a = o.avt else { throw NoiseStudyError(run: r.id, reason: "the mismatch source needs the calibration's A_VT") }
            c.mismatchSample = MismatchSample(seed: s, nmosAVT: a.nmos, pmosAVT: a.pmos)
        }
        return c
    }

    /// Runs one simulation and measures it against the reference.
    /// `reference`: the noiseless run of the same stimulus (nil: this is a noiseless run, measured against the
    /// ideal model and kept with its traces).
    public static func execute(_ r: NoiseRun, network: Network, stimulus: Stimulus, options o: NoiseStudyOptions,
                               reference noiseless: NoiseRunResult?) throws -> NoiseRunResult {
        let started = Date()
        let stim = r.long ? longStimulus(stimulus, frames: o.accumulationFrames) : stimulus
        let outcome: CoSimOutcome
        do {
            outcome = try CoSimulation.run(network: network, stimulus: stim, options: try options(o, r))
        } catch let e as CoSimError {
            throw NoiseStudyError(run: r.id, reason: e.description)
        }
        let reference = IdealModel(network: network).run(stim)
        var layers: [NoiseRunResult.Layer] = []
        let T = stim.count
        var frameSq = [Double](repeating: 0, count: T), frameN = 0
        var traces: [NoiseRunResult.Trace] = []
        for (li, l) in network.layers.enumerated() where l.kind == .bmru {
            let ref = reference.layers[li]
            let m0 = l.outputs
            var m = NoiseRunResult.Layer(layer: l.name, pairs: 0, flips: 0, input_sq: 0, output_sq: 0, output_sq_kept: 0)
            var tr = NoiseRunResult.Trace(layer: l.name, candidate: [Double](repeating: 0, count: T * m0),
                                          state: [Int](repeating: 0, count: T * m0), output: [Double](repeating: 0, count: T * m0))
            let base = noiseless?.traces?.first { $0.layer == l.name }
            if noiseless != nil, base?.candidate.count != T * m0 {
                throw NoiseStudyError(run: r.id, reason: "the noiseless run has no traces of \(l.name) for \(T) frames")
            }
            for j in 0..<l.outputs {
                func series(_ q: String) throws -> [Double] {
                    guard let s = outcome.traces.series.first(where: { $0.layer == l.name && $0.unit == j && $0.quantity == q }),
                          s.circuit.count >= T else {
                        throw NoiseStudyError(run: r.id, reason: "the co-simulation has no \(q) trace of \(l.name)[\(j)]")
                    }
                    return s.circuit
                }
                let cand = try series("candidate"), state = try series("state"), out = try series("current")
                frameN += 1
                for t in 0..<T {
                    let q = t * m0 + j
                    let s = Int(state[t].rounded())
                    tr.candidate[q] = cand[t]; tr.state[q] = s; tr.output[q] = out[t]
                    // against the ideal model
                    let mc = cand[t] - (ref.candidates?[t][j] ?? 0), my = out[t] - ref.outputs[t][j]
                    m.model_input_sq += mc * mc
                    m.model_output_sq += my * my
                    if s != (ref.states?[t][j] ?? 0) { m.model_flips += 1 }
                    // against the noiseless circuit (the noiseless run itself: against the model)
                    let dc = base.map { cand[t] - $0.candidate[q] } ?? mc
                    let dy = base.map { out[t] - $0.output[q] } ?? my
                    let flipped = base.map { s != $0.state[q] } ?? (s != (ref.states?[t][j] ?? 0))
                    m.pairs += 1
                    m.input_sq += dc * dc
                    m.output_sq += dy * dy
                    if flipped { m.flips += 1 } else { m.output_sq_kept += dy * dy }
                    frameSq[t] += dy * dy
                }
            }
            layers.append(m)
            traces.append(tr)
        }
        let fe = r.long ? frameSq.map { (frameN > 0 ? $0 / Double(frameN) : 0).squareRoot() } : nil
        return NoiseRunResult(run: r, layers: layers, frame_error: fe, seconds: Date().timeIntervalSince(started),
                              traces: noiseless == nil ? traces : nil)
    }

    /// The baseline's per-frame error under the same draws as the accumulation run at `sigma`.
    public static func baselineFrameError(network: Network, stimulus: Stimulus, options o: NoiseStudyOptions, sigma: Double) -> [Double] {
        let run = longRuns(sigma: sigma)[1]
        let stim = longStimulus(stimulus, frames: o.accumulationFrames)
        let T = stim.count
        let s = seed(o, run)
        let noisy = o.sources.contains(.input) ? InputNoise(sigma: sigma, seed: s).apply(to: stim) : stim
        var injected = InjectedNoise()
        if o.sources.contains(.device) {
            let dn = DeviceNoise(sigma: sigma, seed: s, drawsPerFrame: o.drawsPerFrame)
            var c = 0
            for (k, l) in network.layers.enumerated() where l.kind == .bmru {
                let m = l.outputs
                var cand = [Double](repeating: 0, count: T * m), st = cand
                for j in 0..<m {
                    for t in 0..<T {
                        let time = Double(t + 1) * network.framePeriod
                        cand[t * m + j] = dn.value(source: DeviceNoise.source(cell: c + j, site: .candidate), time: time, framePeriod: network.framePeriod)
                        st[t * m + j] = dn.value(source: DeviceNoise.source(cell: c + j, site: .state), time: time, framePeriod: network.framePeriod)
                    }
                }
                injected.candidate[k] = cand
                injected.state[k] = st
                c += m
            }
        }
        let model = IdealModel(network: network)
        let clean = model.run(stim, dynamics: .continuous, noise: InjectedNoise())
        let noisyRun = model.run(noisy, dynamics: .continuous, noise: injected)
        var sq = [Double](repeating: 0, count: T), n = 0
        for (k, l) in network.layers.enumerated() where l.kind == .bmru {
            let m = l.outputs
            n += m
            for t in 0..<T { for j in 0..<m { let d = noisyRun.outputs[k][t * m + j] - clean.outputs[k][t * m + j]; sq[t] += d * d } }
        }
        return sq.map { (n > 0 ? $0 / Double(n) : 0).squareRoot() }
    }

    /// The devices' shot noise in the study's σ (see `definitions["device_noise_physical"]`).
    public static func physical(network: Network, stimulus: Stimulus, drawsPerFrame: Int) -> [NoiseStudyResult.Physical] {
        let trace = IdealModel(network: network).run(stimulus)
        let q = 1.602_176_634e-19, b = Double(drawsPerFrame) / (2 * network.framePeriod)
        return network.layers.enumerated().compactMap { k, l in
            guard l.kind == .bmru, let c = trace.layers[k].candidates else { return nil }
            let all = c.flatMap { $0 }
            let mean = (all.reduce(0, +) / Double(max(all.count, 1))) * network.unitCurrent
            return .init(layer: l.name, mean_candidate_a: mean, shot_sigma_units: (2 * q * mean * 2 * b).squareRoot() / network.unitCurrent)
        }
    }

    /// Slope and quarter RMS of a per-frame error.
    public static func trend(_ e: [Double], kind: String) -> NoiseStudyResult.Trend {
        let x = e.indices.map(Double.init)
        let fit = PowerStudy.fit(x: x, y: e, degree: 1)
        let q = max(e.count / 4, 1)
        func rms(_ s: ArraySlice<Double>) -> Double { s.isEmpty ? 0 : (s.reduce(0) { $0 + $1 * $1 } / Double(s.count)).squareRoot() }
        let first = rms(e.prefix(q)), last = rms(e.suffix(q))
        return .init(kind: kind, slope_per_frame: fit.coefficients.first ?? 0, first_quarter_rms: first, last_quarter_rms: last,
                     growth: first > 0 ? last / first : nil, frame_error: e)
    }

    /// Aggregates the sweep's results into cell rows (per layer, source and σ; samples summed).
    public static func cells(_ results: [NoiseRunResult]) -> [NoiseStudyResult.Cell] {
        var order: [String] = []
        var acc: [String: (layer: String, source: String, sigma: Double, samples: Int, m: NoiseRunResult.Layer)] = [:]
        for r in results where !r.run.long {
            for l in r.layers {
                let key = "\(l.layer)|\(r.run.source)|\(r.run.sigma)"
                if var a = acc[key] {
                    a.samples += 1
                    a.m.pairs += l.pairs; a.m.flips += l.flips
                    a.m.input_sq += l.input_sq; a.m.output_sq += l.output_sq; a.m.output_sq_kept += l.output_sq_kept
                    a.m.model_flips += l.model_flips; a.m.model_input_sq += l.model_input_sq; a.m.model_output_sq += l.model_output_sq
                    acc[key] = a
                } else {
                    order.append(key)
                    acc[key] = (l.layer, r.run.source, r.run.sigma, 1, l)
                }
            }
        }
        return order.compactMap { acc[$0] }.map { a in
            let n = Double(max(a.m.pairs, 1)), kept = Double(max(a.m.pairs - a.m.flips, 1))
            let inRMS = (a.m.input_sq / n).squareRoot(), outRMS = (a.m.output_sq / n).squareRoot()
            let keptRMS = (a.m.output_sq_kept / kept).squareRoot()
            return .init(layer: a.layer, source: a.source, sigma: a.sigma, samples: a.samples, input_error_rms: inRMS,
                         output_error_rms: outRMS, ratio: outRMS > 0 ? inRMS / outRMS : nil,
                         output_error_rms_state_kept: keptRMS, ratio_state_kept: keptRMS > 0 ? inRMS / keptRMS : nil,
                         flip_rate: Double(a.m.flips) / n, reference: a.source == "none" ? "ideal_model" : "noiseless_circuit",
                         flip_rate_vs_model: Double(a.m.model_flips) / n, output_error_rms_vs_model: (a.m.model_output_sq / n).squareRoot())
        }
    }

    /// The headline suppression (see `definitions["suppression"]`).
    public static func suppression(_ cells: [NoiseStudyResult.Cell], sources: [NoiseSourceKind]) -> NoiseStudyResult.Suppression {
        let def = definitions["suppression"]!
        let source = sources.contains(.device) ? "device" : sources.first?.rawValue ?? "device"
        let sigmas = Set(cells.filter { $0.source == source && $0.sigma > 0 }.map(\.sigma)).sorted(by: >)
        func rows(_ s: Double) -> [NoiseStudyResult.Cell] { cells.filter { $0.source == source && $0.sigma == s } }
        // the worst layer: the boundary that suppresses least
        func worst(_ r: [NoiseStudyResult.Cell], _ v: (NoiseStudyResult.Cell) -> Double?) -> Double? { r.compactMap(v).min() }
        var out = NoiseStudyResult.Suppression(value: nil, sigma: nil, source: source, flip_rate: nil, ratio_all_pairs: nil,
                                               flip_free_sigma: nil, flip_free_value: nil, definition: def)
        if let s = sigmas.first(where: { rows($0).allSatisfy { $0.flip_rate <= 0.01 } }) {
            out.sigma = s
            out.value = worst(rows(s), \.ratio_state_kept)
            out.flip_rate = rows(s).map(\.flip_rate).max()
            out.ratio_all_pairs = worst(rows(s), \.ratio)
        } else {
            out.definition += " (no σ of the sweep kept the flip rate ≤ 1 %)"
        }
        if let s = sigmas.first(where: { rows($0).allSatisfy { $0.flip_rate == 0 } }) {
            out.flip_free_sigma = s
            out.flip_free_value = worst(rows(s), \.ratio)
        }
        return out
    }

    /// Runs (or resumes) the study in `dir`; `progress(done, total, run id, seconds of that run)`.
    public static func run(network: Network, stimulus: Stimulus, options o: NoiseStudyOptions, in dir: String, resume: Bool,
                           progress: (Int, Int, String, Double) -> Void) throws -> NoiseStudyResult {
        let runsDir = dir + "/runs"
        try BatchError.writing { try FileOutput.makeDirectory(runsDir) }
        var results: [NoiseRunResult] = []
        func perform(_ r: NoiseRun, done: Int, total: Int, reference: NoiseRunResult?) throws -> NoiseRunResult {
            let file = runsDir + "/" + r.id + ".json"
            if resume, let data = FileManager.default.contents(atPath: file),
               let old = try? ReportJSON.decode(NoiseRunResult.self, from: data), old.version == NoiseRunResult.currentVersion, old.run == r,
               (reference != nil) == (old.traces == nil) {
                progress(done, total, r.id + " (kept)", 0)
                return old
            }
            let res = try execute(r, network: network, stimulus: stimulus, options: o, reference: reference)
            try BatchError.writing { try AtomicWrite.write(ReportJSON.encode(res), to: file) }
            progress(done, total, r.id, res.seconds)
            return res
        }
        let sweep = plan(o)
        let total = sweep.count + 2
        for (i, r) in sweep.enumerated() {
            results.append(try perform(r, done: i + 1, total: total, reference: i == 0 ? nil : results.first))
        }
        let cellRows = cells(results)
        let sup = suppression(cellRows, sources: o.sources)
        var accSigmas = o.accumulationSigma.map { [$0] } ?? [sup.sigma ?? o.sigmas.min() ?? 0.05]
        if o.accumulationSigma == nil, let f = sup.flip_free_sigma, !accSigmas.contains(f) { accSigmas.append(f) }
        let all = total + accSigmas.count - 1
        let longNone = try perform(longRuns(sigma: accSigmas[0])[0], done: sweep.count + 1, total: all, reference: nil)
        var acc: [NoiseStudyResult.Accumulation] = []
        for (k, sg) in accSigmas.enumerated() {
            let longNoisy = try perform(longRuns(sigma: sg)[1], done: sweep.count + 2 + k, total: all, reference: longNone)
            let bmruErr = longNoisy.frame_error ?? []
            let base = baselineFrameError(network: network, stimulus: stimulus, options: o, sigma: sg)
            acc.append(.init(frames: bmruErr.count, sigma: sg, bmru: trend(bmruErr, kind: "fq_bmru_circuit"),
                             bmru_noiseless: trend(longNone.frame_error ?? [], kind: "fq_bmru_circuit_noiseless_vs_model"),
                             baseline: trend(base, kind: "continuous_state_model")))
        }
        var defs = definitions
        defs["draws_per_frame"] = String(o.drawsPerFrame)
        return NoiseStudyResult(
            network: network.name, frames: stimulus.count, corner: o.cosim.corner.rawValue, temperature_c: o.cosim.temperature,
            definitions: defs, cells: cellRows, suppression: sup,
            accumulation: acc[0], accumulation_more: Array(acc.dropFirst()),
            device_noise_physical: physical(network: network, stimulus: stimulus, drawsPerFrame: o.drawsPerFrame),
            runs: results.count + 1 + acc.count)
    }
}

/// `DIR/noise.html`: the definitions, the cell table, ratio and flip rate against σ, error against frame.
public enum NoiseStudyPage {
    public static func html(_ r: NoiseStudyResult) -> String {
        func f(_ v: Double?, _ d: Int = 4) -> String { v.map { String(format: "%.\(d)g", $0) } ?? "–" }
        var h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>bmru noise: \(XML.escape(r.network))</title>"
        h += "<style>body{font-family:sans-serif;margin:2em;max-width:980px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}dt{font-weight:bold}</style></head><body>"
        h += "<h1>Noise immunity of \(XML.escape(r.network))</h1>"
        h += "<p>\(r.frames) frames, corner \(XML.escape(r.corner)), \(f(r.temperature_c)) °C, \(r.runs) simulations.</p>"
        let s = r.suppression
        h += "<h2>Suppression at the cell boundary</h2><p><b>\(s.value.map { String(format: "%.1f×", $0) } ?? "not defined")</b>"
        if let sg = s.sigma {
            h += " at σ = \(f(sg)) units (\(XML.escape(s.source ?? ""))), flip rate \(String(format: "%.2f %%", (s.flip_rate ?? 0) * 100))"
            h += "; with the flipped pairs included \(f(s.ratio_all_pairs, 3))×"
        }
        if let ff = s.flip_free_sigma { h += "; with no flip at all (σ = \(f(ff)) units): \(f(s.flip_free_value, 3))×" }
        h += ". \(XML.escape(s.definition))</p>"
        h += "<p>The devices' own shot noise, for scale (\(XML.escape(r.definitions["device_noise_physical"] ?? ""))): "
            + r.device_noise_physical.map { "\(XML.escape($0.layer)) σ = \(f($0.shot_sigma_units, 2)) units at \(f($0.mean_candidate_a * 1e9, 3)) nA" }.joined(separator: ", ") + ".</p>"
        for a in [r.accumulation] + r.accumulation_more {
        h += "<h2>Accumulation over \(a.frames) frames (σ = \(f(a.sigma)))</h2><table><tr><th></th><th>slope per frame</th><th>first quarter RMS</th><th>last quarter RMS</th><th>last / first</th></tr>"
        for t in [a.bmru, a.bmru_noiseless, a.baseline] {
            h += "<tr><td style=\"text-align:left\">\(XML.escape(t.kind))</td><td>\(f(t.slope_per_frame))</td><td>\(f(t.first_quarter_rms))</td><td>\(f(t.last_quarter_rms))</td><td>\(f(t.growth, 3))</td></tr>"
        }
        h += "</table>"
        h += chart(title: "output error against frame (units)", x: "frame", y: "RMS output error (units)", log: false, wholeX: true,
                   series: [("FQ-BMRU circuit, noisy", "#e15759", a.bmru.frame_error.enumerated().map { (Double($0.offset), $0.element) }),
                            ("noiseless circuit vs model", "#9c9c9c", a.bmru_noiseless.frame_error.enumerated().map { (Double($0.offset), $0.element) }),
                            ("continuous-state baseline", "#4e79a7", a.baseline.frame_error.enumerated().map { (Double($0.offset), $0.element) })])
        }
        let colours = ["#e15759", "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2"]
        var ratio: [(String, String, [(Double, Double)])] = [], flips = ratio
        let keys = r.cells.reduce(into: [String]()) { acc, c in let k = "\(c.layer) · \(c.source)"; if !acc.contains(k) { acc.append(k) } }
        for (i, k) in keys.enumerated() {
            let rows = r.cells.filter { "\($0.layer) · \($0.source)" == k && $0.sigma > 0 && $0.source != "mismatch" }
            guard !rows.isEmpty else { continue }
            ratio.append((k, colours[i % colours.count], rows.compactMap { c in c.ratio.map { (c.sigma, $0) } }))
            flips.append((k, colours[i % colours.count], rows.map { ($0.sigma, $0.flip_rate * 100) }))
        }
        h += chart(title: "input error / output error against σ", x: "σ (units)", y: "ratio (log)", log: true, series: ratio)
        h += chart(title: "flip rate against σ", x: "σ (units)", y: "flip rate (%)", log: false, series: flips)
        h += "<h2>Per cell boundary</h2><table><tr><th>layer</th><th>source</th><th>σ</th><th>samples</th><th>input error RMS</th><th>output error RMS</th><th>ratio</th><th>output error RMS (state kept)</th><th>ratio (state kept)</th><th>flip rate</th><th>reference</th><th>flip rate vs model</th><th>output error RMS vs model</th></tr>"
        for c in r.cells {
            h += "<tr><td>\(XML.escape(c.layer))</td><td>\(XML.escape(c.source))</td><td>\(f(c.sigma))</td><td>\(c.samples)</td><td>\(f(c.input_error_rms))</td><td>\(f(c.output_error_rms))</td><td>\(f(c.ratio))</td><td>\(f(c.output_error_rms_state_kept))</td><td>\(f(c.ratio_state_kept))</td><td>\(String(format: "%.2f %%", c.flip_rate * 100))</td><td>\(XML.escape(c.reference))</td><td>\(String(format: "%.2f %%", c.flip_rate_vs_model * 100))</td><td>\(f(c.output_error_rms_vs_model))</td></tr>"
        }
        h += "</table><h2>Definitions</h2><dl>"
        for k in r.definitions.keys.sorted() { h += "<dt>\(XML.escape(k))</dt><dd>\(XML.escape(r.definitions[k]!))</dd>" }
        return h + "</dl></body></html>\n"
    }

    /// Lines with dots, axes with 1-2-5 ticks (log: decades) labelled at both ends, the legend inside the chart.
    /// `wholeX`: x ticks on whole numbers only (frames).
    static func chart(title: String, x xLabel: String, y yLabel: String, log: Bool, wholeX: Bool = false,
                      series: [(String, String, [(Double, Double)])]) -> String {
        let pts = series.flatMap(\.2).filter { $0.1.isFinite && (!log || $0.1 > 0) }
        guard !pts.isEmpty else { return "<p>(\(XML.escape(title)): no data)</p>" }
        let x0 = min(pts.map(\.0).min()!, 0), x1 = max(pts.map(\.0).max()!, x0 + 1e-12)
        let y0: Double, y1: Double
        if log {
            // whole decades around the data
            y0 = pow(10, Foundation.log10(pts.map(\.1).min()!).rounded(.down))
            y1 = max(pow(10, Foundation.log10(pts.map(\.1).max()!).rounded(.up)), y0 * 10)
        } else {
            y0 = 0
            let top = pts.map(\.1).max()! * 1.1
            y1 = top > 0 ? top : 1
        }
        var p = Plot(width: 900, height: 380, x: PlotAxis(x0, x1, title: xLabel, target: 8, integer: wholeX),
                     y: PlotAxis(y0, y1, title: yLabel, log: log, target: 6), title: title)
        for (name, colour, points) in series {
            let q = points.filter { $0.1.isFinite && (!log || $0.1 > 0) }.map { (x: $0.0, y: $0.1) }
            p.line(q, stroke: colour, width: 1.5, legend: name)
            if q.count <= 40 { p.dots(q, r: 3.5, fill: colour) }
        }
        return p.svg
    }
}
