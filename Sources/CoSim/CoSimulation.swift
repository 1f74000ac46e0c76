import BMRUModel
import Foundation
import Netlist
import Ngspice

/// How to co-simulate.
public struct CoSimOptions: Sendable {
    public var corner: Corner = .typical
    public var vdd: Double = 1.8
    public var temperature: Double = 27
    public var modelsDirectory: String
    /// a pair is ambiguous when the model candidate lies within this many units of θ_low or θ_high
    public var margin: Double = 0.05
    /// a frame's decision is ambiguous when the model's two largest outputs differ by at most this fraction
    /// of the largest magnitude (uncalibrated mirrors carry errors of a few percent)
    public var decisionMargin: Double = 0.1
    public var requiredStateAgreement: Double = 0.995
    public var requireDecisionAgreement: Bool = true
    /// a deck to simulate instead of the emitted one (an edited copy of it); its probes are read by the emitted
    /// deck's names, and it is flattened and checked like every deck (Ngspice/DeckFlattener.swift)
    public var suppliedDeck: SuppliedDeck?
    public var timeout: Double = 3600
    public var networkFile: String?
    public var networkSHA256: String?
    public var generatorVersion: String = "0.1.0"
    /// where the deck's own `.control` block writes its raw file when run with `ngspice -b`
    public var rawPath: String?
    /// Monte Carlo mismatch sample seed (1...2147483647); nil = nominal devices
    public var mismatchSeed: UInt64?
    /// calibration tables the deck is emitted with (nil = nominal sizes); see Netlist/Calibration.swift
    public var calibration: CalibrationFile?
    /// shared-sample mismatch: explicit per-device delvto in the deck (Netlist/DeviceOffsets.swift)
    public var mismatchSample: MismatchSample?
    /// the behavioural model the circuit is compared with (nil = IdealModel), e.g. the circuit-aware model
    /// with the same mismatch sample
    public var behaviouralModel: (@Sendable (Stimulus) -> ModelTrace)?
    /// input-referred (front-end) noise: the deck's input sources and the behavioural model both get the noisy
    /// stimulus, and the report's `noise` block compares the noisy run with the ideal model on the clean stimulus.
    /// nil (or σ = 0) = none
    public var inputNoise: InputNoise?

    public init(modelsDirectory: String) {
        self.modelsDirectory = modelsDirectory
    }
}

/// A deck file given in place of the emitted deck: its path (named in messages, base of relative includes) and text.
public struct SuppliedDeck: Sendable, Equatable {
    public var path: String
    public var text: String
    public init(path: String, text: String) { self.path = path; self.text = text }
}

/// Why a co-simulation could not produce a report.
public struct CoSimError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable { case input, netlist, simulation, probe }
    public var kind: Kind
    public var message: String
    /// evidence: ngspice's lines for simulation failures
    public var lines: [String]
    public init(kind: Kind, message: String, lines: [String] = []) {
        self.kind = kind; self.message = message; self.lines = lines
    }
    public var description: String {
        lines.isEmpty ? message : message + ": " + lines.prefix(6).joined(separator: " | ")
    }
}

/// Everything one co-simulation produced.
public struct CoSimOutcome: Sendable {
    public var report: AgreementReport
    public var traces: CoSimTraces
    /// the deck emitted for the network (its mapping names the probes)
    public var deck: EmittedDeck
    /// the text that was simulated: the emitted deck's, or the supplied deck's
    public var simulatedDeck: String
    public var simulationLog: [String]
    /// the stimulus the deck and the model ran on, when input noise was added (nil: the clean stimulus)
    public var noisyStimulus: Stimulus? = nil
}

/// Circuit against model on the same stimulus: emit, simulate, sample, compare.
public enum CoSimulation {
    /// intermediate input steps between frames for the path-dependence check (`IdealModel.pathHazards`)
    public static let pathSubsteps = 16

    /// The stimulus the circuit and the model run on: `stimulus` with the options' input noise (if any).
    public static func simulatedStimulus(_ stimulus: Stimulus, options: CoSimOptions) -> Stimulus {
        guard let n = options.inputNoise, n.sigma > 0 else { return stimulus }
        return n.apply(to: stimulus)
    }

    /// The deck and the simulation request, without running anything (a worker process can run the request).
    public static func prepare(network: Network, stimulus: Stimulus, options: CoSimOptions) throws -> (EmittedDeck, SimulationRequest) {
        // a co-simulation of no frames compares nothing and would pass
        guard stimulus.count > 0 else { throw CoSimError(kind: .input, message: "the stimulus has no frames (nothing to compare)") }
        guard stimulus.inputs == network.inputs, stimulus.frames.allSatisfy({ $0.count == network.inputs }) else {
            throw CoSimError(kind: .input, message: "the stimulus has \(stimulus.inputs) inputs, the network \(network.inputs)")
        }
        var deckOptions = DeckOptions(corner: options.corner, vdd: options.vdd, temperature: options.temperature,
                                      modelsDirectory: options.modelsDirectory, networkSHA256: options.networkSHA256,
                                      rawPath: options.rawPath, generatorVersion: options.generatorVersion)
        deckOptions.mismatchSeed = options.mismatchSeed
        deckOptions.calibration = options.calibration
        deckOptions.mismatchSample = options.mismatchSample
        let deck: EmittedDeck
        do {
            deck = try DeckEmitter.emit(network: network, stimulus: simulatedStimulus(stimulus, options: options), options: deckOptions)
        } catch let e as NetlistError {
            throw CoSimError(kind: .netlist, message: "cannot emit the deck: \(e)")
        }
        let wanted = deck.mapping.probes.map(\.vector)
        if let s = options.suppliedDeck {
            return (deck, SimulationRequest(deck: s.text, vectors: wanted, timeout: options.timeout, source: s.path))
        }
        return (deck, SimulationRequest(deck: deck.text, vectors: wanted, timeout: options.timeout))
    }

    /// Runs the whole co-simulation in this process.
    public static func run(network: Network, stimulus: Stimulus, options: CoSimOptions) throws -> CoSimOutcome {
        let started = Date()
        let (deck, request) = try prepare(network: network, stimulus: stimulus, options: options)
        let result: SimulationResult
        do {
            result = try Simulator.shared.run(request)
        } catch let e as SimulationError {
            throw CoSimError(kind: .simulation, message: "ngspice failed (\(e.kind.rawValue)): \(e.message)", lines: e.lines)
        }
        return try analyse(network: network, stimulus: stimulus, deck: deck, result: result, options: options, started: started)
    }

    /// Compares a finished simulation with the model. `stimulus` is the clean stimulus (the options' input noise,
    /// if any, is added here exactly as `prepare` added it to the deck).
    public static func analyse(network: Network, stimulus clean: Stimulus, deck: EmittedDeck, result: SimulationResult,
                               options: CoSimOptions, started: Date = Date()) throws -> CoSimOutcome {
        let stimulus = simulatedStimulus(clean, options: options)
        let modelStart = Date()
        let trace = options.behaviouralModel?(stimulus) ?? IdealModel(network: network).run(stimulus)
        let modelSeconds = Date().timeIntervalSince(modelStart)
        guard let time = result.vector("time"), time.count >= 2 else {
            throw CoSimError(kind: .probe, message: "the simulation returned no time vector")
        }
        let T = network.framePeriod
        let frames = stimulus.count
        let unitA = network.unitCurrent
        let sampler = FrameSampler(time: time, framePeriod: T, frames: frames)
        func circuitVector(_ probe: String) throws -> [Double] {
            guard let v = result.vector(probe) else {
                throw CoSimError(kind: .probe, message: "probe \(probe) is missing from the simulation results")
            }
            return v
        }
        func probe(_ kind: String, _ layer: String, _ unit: Int) -> String? {
            deck.mapping.probes.first { $0.kind == kind && $0.layer == layer && $0.unit == unit }?.vector
        }

        var series: [CoSimTraces.Series] = []
        var waveforms: [String: (time: [Double], volts: [Double])] = [:]
        var ambiguousFrames: [String: Set<Int>] = [:]
        var thresholdsByName: [String: (low: Double, high: Double)] = [:]
        var layerReports: [String: AgreementReport.LayerCurrents] = [:]
        var pairs = 0, agreeing = 0, ambiguousCount = 0
        var ambiguousList: [AgreementReport.AmbiguousPair] = []
        var firstDivergence: AgreementReport.Divergence?
        var unitsTotal = 0
        let vHalf = options.vdd / 2

        // Frames where some bmru state differs between circuit and model: there the currents differ by whole
        // output levels, which says nothing about how well the mirrors copy. Current errors leave them out
        // (the states are judged by the state agreement).
        var stateMismatchFrames = Set<Int>()
        /// frames where an ambiguous (excused) state pair differs: downstream of it the outputs differ by a whole
        /// level for a reason the state agreement already excuses, so the frame decision is not compared there
        var excusedDifferenceFrames = Set<Int>()
        /// the circuit's state per (layer index, unit), per frame (for the noise robustness)
        var circuitStates: [[Int]: [Int]] = [:]
        for (li, layer) in network.layers.enumerated() where layer.kind == .bmru {
            guard let states = trace.layers[li].states else { continue }
            for j in 0..<layer.outputs {
                guard let v = result.vector("v(s_\(layer.name.lowercased())_\(j))") else { continue }
                for (t, volts) in sampler.sample(v).enumerated() where (volts > vHalf ? 1 : 0) != states[t][j] {
                    stateMismatchFrames.insert(t)
                }
            }
        }

        for (li, layer) in network.layers.enumerated() {
            let lt = trace.layers[li]
            let L = layer.name.lowercased()
            var errSq = 0.0, modelSq = 0.0, maxErr = 0.0, count = 0
            var layerPairs = 0, layerAgree = 0
            for j in 0..<layer.outputs {
                // circuit output current per frame, model units (identity: positive minus negative sum)
                var circuitOut: [Double]
                if layer.kind == .dense && layer.activation == .identity {
                    guard let p = probe("output_current_positive", L, j), let n = probe("output_current_negative", L, j) else {
                        throw CoSimError(kind: .probe, message: "the deck has no output probes for \(layer.name)[\(j)]")
                    }
                    let pv = sampler.sample(try circuitVector(p)), nv = sampler.sample(try circuitVector(n))
                    circuitOut = zip(pv, nv).map { ($0 - $1) / unitA }
                } else {
                    guard let o = probe("output_current", L, j) else {
                        throw CoSimError(kind: .probe, message: "the deck has no output probe for \(layer.name)[\(j)]")
                    }
                    circuitOut = sampler.sample(try circuitVector(o)).map { $0 / unitA }
                }
                let modelOut = (0..<frames).map { lt.outputs[$0][j] }
                for t in 0..<frames where !stateMismatchFrames.contains(t) {
                    let e = (circuitOut[t] - modelOut[t]) * unitA
                    errSq += e * e
                    modelSq += (modelOut[t] * unitA) * (modelOut[t] * unitA)
                    maxErr = max(maxErr, abs(e))
                    count += 1
                }
                series.append(.init(name: "\(layer.name)[\(j)].current", layer: layer.name, unit: j, quantity: "current",
                                    circuit: circuitOut, model: modelOut))

                guard layer.kind == .bmru, let states = lt.states, let cands = lt.candidates,
                      let lo = layer.thetaLow?[j], let hi = layer.thetaHigh?[j] else { continue }
                unitsTotal += 1
                let stateVector = try circuitVector("v(s_\(L)_\(j))")
                let sampledV = sampler.sample(stateVector)
                let circuitState = sampledV.map { $0 > vHalf ? 1 : 0 }
                circuitStates[[li, j]] = circuitState
                var circuitCandidate: [Double]?
                if let c = probe("candidate_current", L, j), let v = result.vector(c) {
                    circuitCandidate = sampler.sample(v).map { $0 / unitA }
                }
                let name = "\(layer.name)[\(j)]"
                thresholdsByName[name] = (lo, hi)
                var amb = Set<Int>()
                // A state decided on an ambiguous frame is remembered by the hysteresis: while the candidate
                // then stays inside the band (θ_low, θ_high) both sides hold what they decided, so a difference
                // there is inherited from the ambiguous frame, not a new error. It ends when the candidate
                // leaves the band and the input alone decides the state again.
                var inherited = false
                for t in 0..<frames {
                    let c = cands[t][j]
                    let ms = states[t][j], cs = circuitState[t]
                    let nearThreshold = abs(c - lo) <= options.margin || abs(c - hi) <= options.margin
                    let inBand = c >= lo && c <= hi
                    if nearThreshold || (inherited && inBand) {
                        if nearThreshold { inherited = (cs != ms) }
                        if cs != ms { excusedDifferenceFrames.insert(t) }
                        ambiguousCount += 1
                        amb.insert(t)
                        if ambiguousList.count < 200 {
                            ambiguousList.append(.init(layer: layer.name, unit: j, frame: t, candidate: c, circuit_state: cs, model_state: ms,
                                                       reason: nearThreshold ? "near_threshold" : "held_after_ambiguous"))
                        }
                        continue
                    }
                    inherited = false
                    pairs += 1
                    layerPairs += 1
                    if ms == cs {
                        agreeing += 1
                        layerAgree += 1
                    } else if firstDivergence == nil || t < firstDivergence!.frame {
                        firstDivergence = .init(frame: t, layer: layer.name, unit: j, circuit_state: cs, model_state: ms,
                                                model_candidate: c, circuit_candidate: circuitCandidate?[t],
                                                theta_low: lo, theta_high: hi)
                    }
                }
                ambiguousFrames[name] = amb
                series.append(.init(name: "\(name).state", layer: layer.name, unit: j, quantity: "state",
                                    circuit: circuitState.map(Double.init), model: (0..<frames).map { Double(states[$0][j]) }))
                series.append(.init(name: "\(name).candidate", layer: layer.name, unit: j, quantity: "candidate",
                                    circuit: circuitCandidate ?? [], model: (0..<frames).map { cands[$0][j] }))
                waveforms[name] = Decimate.series(time: time, values: stateVector, maxPoints: 1500)
            }
            let rms = count > 0 ? (errSq / Double(count)).squareRoot() : 0
            let modelRms = count > 0 ? (modelSq / Double(count)).squareRoot() : 0
            layerReports[layer.name] = .init(kind: layer.kind == .bmru ? "bmru" : "dense",
                                             rms_error_a: rms, max_abs_error_a: maxErr,
                                             rms_rel_error: modelRms > 0 ? rms / modelRms : nil,
                                             model_rms_a: modelRms,
                                             frames_compared: frames - stateMismatchFrames.count,
                                             state_agreement: layer.kind == .bmru ? (layerPairs > 0 ? Double(layerAgree) / Double(layerPairs) : 1) : nil)
        }

        // decisions from the last layer
        var decision: AgreementReport.Decision?
        var decisionAgreement = 1.0
        // the circuit's last-layer outputs per frame (model units), for the decisions and the noise robustness
        let circuitOutputs: [[Double]]? = network.layers.last.map { last in
            let cols = (0..<last.outputs).map { j in
                series.first { $0.layer == last.name && $0.unit == j && $0.quantity == "current" }!.circuit }
            return (0..<frames).map { t in cols.map { $0[t] } }
        }
        if let last = network.layers.last, last.outputs >= 2, let circuitRows = circuitOutputs {
            let modelRows = trace.layers.last!.outputs
            let ca = circuitRows.map(Decisions.argmax), ma = modelRows.map(Decisions.argmax)
            // a frame whose model outputs are within the decision margin of each other has no clear winner: such frames
            // are counted as ambiguous and left out of the frame agreement, like ambiguous states; so are frames where
            // an ambiguous state pair differs (the outputs then differ by a level the state agreement excuses)
            var considered = 0, agree = 0, tied = 0
            for t in 0..<frames {
                let top = modelRows[t].map(abs).max() ?? 0
                if Decisions.gap(modelRows[t]) <= max(options.margin, options.decisionMargin * top) { tied += 1; continue }
                if excusedDifferenceFrames.contains(t) { tied += 1; continue }
                considered += 1
                if ca[t] == ma[t] { agree += 1 }
            }
            decisionAgreement = considered > 0 ? Double(agree) / Double(considered) : 1
            let cs = Decisions.majority(ca, classes: last.outputs), ms = Decisions.majority(ma, classes: last.outputs)
            decision = .init(frame_agreement: decisionAgreement, ambiguous_frames: tied, circuit_sequence_decision: cs,
                             model_sequence_decision: ms, sequence_agrees: cs == ms)
        }

        // supply power: average of −i(vdd_*) · VDD over the run
        var power: [String: Double] = [:]
        var total = 0.0
        for p in deck.mapping.probes where p.kind == "supply_current" {
            guard let v = result.vector(p.vector) else { continue }
            let avg = Integrate.mean(time: time, values: v)
            let watts = abs(avg) * options.vdd
            let key = p.layer ?? "bias"
            power[key] = watts
            total += watts
            series.append(.init(name: "\(key).supply", layer: key, unit: nil, quantity: "supply",
                                circuit: sampler.sample(v).map { abs($0) * options.vdd }, model: nil))
        }
        power["total"] = total

        var noise: AgreementReport.NoiseRobustness?
        if let n = options.inputNoise, n.sigma > 0 {
            noise = NoiseMeasure.robustness(network: network, clean: clean, noisy: stimulus, noise: n, model: trace,
                                            circuitStates: circuitStates, circuitOutputs: circuitOutputs)
        }

        // frames whose state depends on the path between frames (the ideal model on the simulated stimulus)
        let hazards = IdealModel(network: network).pathHazards(stimulus, substeps: CoSimulation.pathSubsteps)
        var pathDependence: AgreementReport.PathDependence?
        if !hazards.isEmpty {
            pathDependence = .init(substeps: CoSimulation.pathSubsteps, count: hazards.count, pairs: Array(hazards.prefix(200)))
            if var d = firstDivergence {
                d.path_dependent_from = hazards.filter { $0.layer == d.layer && $0.unit == d.unit && $0.frame <= d.frame }.last?.frame
                firstDivergence = d
            }
        }

        let stateAgreement = pairs > 0 ? Double(agreeing) / Double(pairs) : 1
        var failures: [String] = []
        if stateAgreement < options.requiredStateAgreement {
            failures.append(String(format: "state agreement %.4f is below the required %.4f", stateAgreement, options.requiredStateAgreement))
        }
        if options.requireDecisionAgreement, let d = decision, !d.sequence_agrees || d.frame_agreement < options.requiredStateAgreement {
            failures.append(String(format: "decisions disagree: frame agreement %.4f, sequence decision circuit %d vs model %d",
                                   d.frame_agreement, d.circuit_sequence_decision, d.model_sequence_decision))
        }
        let report = AgreementReport(
            network: .init(name: network.name, file: options.networkFile, sha256: options.networkSHA256,
                           unit_current_a: unitA, frame_period_s: T),
            frames: frames, units: unitsTotal, state_agreement: stateAgreement,
            ambiguous: .init(count: ambiguousCount, margin_units: options.margin, pairs: ambiguousList),
            decision_agreement: decisionAgreement, decision: decision, first_divergence: firstDivergence,
            layers: layerReports, power_w: power,
            thresholds: .init(required_state_agreement: options.requiredStateAgreement,
                              require_decision_agreement: options.requireDecisionAgreement,
                              margin_units: options.margin, decision_margin_rel: options.decisionMargin,
                              state_threshold_v: vHalf),
            conditions: .init(corner: options.corner.rawValue, vdd: options.vdd, temperature_c: options.temperature,
                              deck_file: options.suppliedDeck?.path, mismatch_seed: options.mismatchSeed),
            timing: .init(deck_load_s: result.loadSeconds, analysis_s: result.analysisSeconds, model_s: modelSeconds,
                          total_s: Date().timeIntervalSince(started)),
            pass: failures.isEmpty, failures: failures, noise: noise, path_dependence: pathDependence)
        let traces = CoSimTraces(frames: frames, framePeriod: T, series: series, stateWaveforms: waveforms,
                                 ambiguousFrames: ambiguousFrames, thresholds: thresholdsByName, vdd: options.vdd)
        return CoSimOutcome(report: report, traces: traces, deck: deck, simulatedDeck: options.suppliedDeck?.text ?? deck.text,
                            simulationLog: result.log,
                            noisyStimulus: noise == nil ? nil : stimulus)
    }
}

/// Samples a waveform at the end of every frame, just before the next frame's input edge.
public struct FrameSampler: Sendable {
    public let time: [Double]
    public let framePeriod: Double
    public let frames: Int
    /// sampling instant of frame k: (k+1)·T − guard·T (inputs change within the first 1 % of a frame)
    public var guardFraction = 0.002

    public init(time: [Double], framePeriod: Double, frames: Int) {
        self.time = time; self.framePeriod = framePeriod; self.frames = frames
    }

    public func instants() -> [Double] {
        (0..<frames).map { (Double($0 + 1) - guardFraction) * framePeriod }
    }

    /// Linear interpolation of `values` (same length as `time`) at every frame's sampling instant.
    public func sample(_ values: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(frames)
        var i = 0
        for t in instants() {
            while i + 1 < time.count && time[i + 1] < t { i += 1 }
            if i + 1 >= time.count { out.append(values[min(i, values.count - 1)]); continue }
            let t0 = time[i], t1 = time[i + 1]
            let w = t1 > t0 ? (t - t0) / (t1 - t0) : 0
            out.append(values[i] + (values[i + 1] - values[i]) * min(max(w, 0), 1))
        }
        return out
    }
}

enum Integrate {
    /// time-average by the trapezoid rule
    static func mean(time: [Double], values: [Double]) -> Double {
        guard time.count >= 2, let first = time.first, let last = time.last, last > first else { return values.first ?? 0 }
        var area = 0.0
        for i in 1..<min(time.count, values.count) {
            area += (values[i] + values[i - 1]) * 0.5 * (time[i] - time[i - 1])
        }
        return area / (last - first)
    }
}

enum Decisions {
    /// index of the largest value; the lowest index wins ties
    static func argmax(_ row: [Double]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }

    /// difference between the largest and the second largest value (infinite for fewer than 2 values)
    static func gap(_ row: [Double]) -> Double {
        guard row.count >= 2 else { return .infinity }
        let sorted = row.sorted(by: >)
        return sorted[0] - sorted[1]
    }

    /// the most frequent class; the lowest class wins ties
    static func majority(_ votes: [Int], classes: Int) -> Int {
        var counts = [Int](repeating: 0, count: max(classes, 1))
        for v in votes where v < counts.count { counts[v] += 1 }
        var best = 0
        for i in counts.indices where counts[i] > counts[best] { best = i }
        return best
    }
}

enum Decimate {
    /// keeps at most maxPoints samples (min/max per bucket so edges survive)
    static func series(time: [Double], values: [Double], maxPoints: Int) -> (time: [Double], volts: [Double]) {
        let n = min(time.count, values.count)
        if n <= maxPoints { return (Array(time.prefix(n)), Array(values.prefix(n))) }
        let buckets = maxPoints / 2
        var t: [Double] = [], v: [Double] = []
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = max(lo + 1, (b + 1) * n / buckets)
            var iMin = lo, iMax = lo
            for i in lo..<hi {
                if values[i] < values[iMin] { iMin = i }
                if values[i] > values[iMax] { iMax = i }
            }
            for i in [min(iMin, iMax), max(iMin, iMax)] { t.append(time[i]); v.append(values[i]) }
        }
        return (t, v)
    }
}
