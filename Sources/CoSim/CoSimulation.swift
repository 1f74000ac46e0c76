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
    /// what `behaviouralModel` is, for the report's `conditions.model` (e.g. "circuit_aware")
    public var behaviouralModelName = "custom"
    /// The ideal model follows the inputs' linear ramp between frames (`IdealModel.runPathFollowing`, as the
    /// deck's sources move), so a cell reset or set in passing is predicted; false (the default): the inputs jump
    /// at the frame edge (`IdealModel.run`). Only the ideal model (no `behaviouralModel`). Not the default: the
    /// circuit's layers do not follow the ramp instantly, and a shallow dip on the ramp that the model counts as
    /// a reset can leave the circuit's cell set (measured: docs/results-agreement.md, "Path dependence").
    public var pathFollowing = false
    /// input-referred (front-end) noise: the deck's input sources and the behavioural model both get the noisy
    /// stimulus, and the report's `noise` block compares the noisy run with the ideal model on the clean stimulus.
    /// nil (or σ = 0) = none
    public var inputNoise: InputNoise?
    /// noise currents at the cells' candidate and state nodes, in the deck (nil: none)
    public var deviceNoise: DeviceNoise?
    /// keep ngspice's raw file of the whole transient at this path (see `SimulationRequest.rawFile`); nil: none
    public var rawFile: String?
    /// ngspice's OpenMP threads for this run (`SimulationRequest.threads`); nil: 1
    public var threads: Int?

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
    /// the raw file ngspice wrote (`CoSimOptions.rawFile`), moved into the report folder as deck.raw
    public var rawFile: String? = nil
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
        deckOptions.deviceNoise = options.deviceNoise
        let deck: EmittedDeck
        do {
            deck = try DeckEmitter.emit(network: network, stimulus: simulatedStimulus(stimulus, options: options), options: deckOptions)
        } catch let e as NetlistError {
            throw CoSimError(kind: .netlist, message: "cannot emit the deck: \(e)")
        }
        let wanted = deck.mapping.probes.map(\.vector)
        var r = options.suppliedDeck.map { SimulationRequest(deck: $0.text, vectors: wanted, timeout: options.timeout, source: $0.path) }
            ?? SimulationRequest(deck: deck.text, vectors: wanted, timeout: options.timeout)
        r.rawFile = options.rawFile
        r.threads = options.threads
        return (deck, r)
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
        let ideal = IdealModel(network: network)
        let trace = options.behaviouralModel?(stimulus)
            ?? (options.pathFollowing ? ideal.runPathFollowing(stimulus, substeps: pathSubsteps) : ideal.run(stimulus))
        let modelSeconds = Date().timeIntervalSince(modelStart)
        var c = try FrameComparison(network: network, frames: stimulus.count, trace: trace, deck: deck, result: result, options: options)
        c.findStateMismatches()
        for li in network.layers.indices { try c.compareLayer(li) }
        let (decision, decisionAgreement) = c.decisions()
        let (power, powerParts) = c.supplyPower()
        var noise: AgreementReport.NoiseRobustness?
        if let n = options.inputNoise, n.sigma > 0 {
            noise = NoiseMeasure.robustness(network: network, clean: clean, noisy: stimulus, noise: n, model: trace,
                                            circuitStates: c.circuitStates, circuitOutputs: c.circuitOutputs())
        }
        let pathDependence = c.pathDependence(stimulus)
        let stateAgreement = c.pairs > 0 ? Double(c.agreeing) / Double(c.pairs) : 1
        let failures = verdict(stateAgreement: stateAgreement, decision: decision, options: options)
        let report = AgreementReport(
            network: .init(name: network.name, file: options.networkFile, sha256: options.networkSHA256,
                           unit_current_a: network.unitCurrent, frame_period_s: network.framePeriod),
            frames: c.frames, units: c.unitsTotal, state_agreement: stateAgreement,
            ambiguous: .init(count: c.ambiguousCount, margin_units: options.margin, pairs: c.ambiguousList),
            decision_agreement: decisionAgreement, decision: decision, first_divergence: c.firstDivergence,
            layers: c.layerReports, power_w: power,
            thresholds: .init(required_state_agreement: options.requiredStateAgreement,
                              require_decision_agreement: options.requireDecisionAgreement,
                              margin_units: options.margin, decision_margin_rel: options.decisionMargin,
                              state_threshold_v: c.vHalf),
            conditions: .init(corner: options.corner.rawValue, vdd: options.vdd, temperature_c: options.temperature,
                              deck_file: options.suppliedDeck?.path, mismatch_seed: options.mismatchSeed,
                              shared_mismatch_seed: options.mismatchSample?.seed,
                              model: options.behaviouralModel == nil ? "ideal" : options.behaviouralModelName,
                              model_between_frames: options.behaviouralModel == nil
                                  ? (options.pathFollowing ? "linear ramp, \(pathSubsteps) steps" : "jump") : nil),
            timing: .init(deck_load_s: result.loadSeconds, analysis_s: result.analysisSeconds, model_s: modelSeconds,
                          total_s: Date().timeIntervalSince(started)),
            pass: failures.isEmpty, failures: failures, noise: noise, path_dependence: pathDependence, power_parts: powerParts,
            one_step: c.oneStep(stimulus))
        let traces = CoSimTraces(frames: c.frames, framePeriod: network.framePeriod, series: c.series, stateWaveforms: c.waveforms,
                                 ambiguousFrames: c.ambiguousFrames, thresholds: c.thresholdsByName, vdd: options.vdd,
                                 layerOrder: network.layers.map(\.name), stimulus: stimulus.frames, unitCurrent: network.unitCurrent)
        return CoSimOutcome(report: report, traces: traces, deck: deck, simulatedDeck: options.suppliedDeck?.text ?? deck.text,
                            simulationLog: result.log, noisyStimulus: noise == nil ? nil : stimulus,
                            rawFile: options.rawFile.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil })
    }

    /// Why the run fails its gate (empty: it passes).
    static func verdict(stateAgreement: Double, decision: AgreementReport.Decision?, options: CoSimOptions) -> [String] {
        var failures: [String] = []
        if stateAgreement < options.requiredStateAgreement {
            failures.append(String(format: "state agreement %.4f is below the required %.4f", stateAgreement, options.requiredStateAgreement))
        }
        if options.requireDecisionAgreement, let d = decision, !d.sequence_agrees || d.frame_agreement < options.requiredStateAgreement {
            failures.append(String(format: "decisions disagree: frame agreement %.4f, sequence decision circuit %d vs model %d",
                                   d.frame_agreement, d.circuit_sequence_decision, d.model_sequence_decision))
        }
        return failures
    }
}

