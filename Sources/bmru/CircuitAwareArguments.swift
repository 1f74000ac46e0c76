import ArgumentParser
import BMRUModel
import Foundation
import Characterization
import Netlist
import CoSim

/// `bmru model --circuit-aware`: predict the circuit from the calibration tables instead of the ideal model.
struct CircuitAwareArguments: ParsableArguments {
    @Flag(name: .customLong("circuit-aware"), help: "Predict the emitted circuit (calibration tables, optional mismatch and noise) instead of the ideal model.")
    var enabled = false
    @Option(help: "Process corner of the circuit (circuit-aware).") var corner: Corner = .typical
    @Option(help: "Calibration tables (circuit-aware; default models/calibration/<corner>.json).") var calibration: String?
    @Flag(name: .customLong("uncalibrated-deck"), help: "Predict a deck emitted with --no-calibration (nominal sizes).")
    var uncalibratedDeck = false
    @Option(name: .customLong("mismatch-seed"), help: "Shared mismatch sample: per-device delvto drawn with this seed (the same sample `bmru cosim --mismatch-seed` writes into the deck).")
    var mismatchSeed: UInt64?
    @Option(name: .customLong("input-noise"), help: ArgumentHelp("Input-referred noise: add N(0, σ²) model units to every input of every frame, the same draws as `bmru cosim --input-noise` (circuit-aware).", valueName: "σ"))
    var inputNoise: Double?
    /// the earlier spelling of --input-noise, kept working
    @Option(name: .customLong("noise"), help: .hidden) var legacyNoise: Double?
    @Option(name: .customLong("noise-seed"), help: "Seed of the noise draws.") var noiseSeed: UInt64 = 1
    @Option(name: .customLong("models"), help: "Folder with the GF180MCU model files (circuit-aware).") var models: String?

    /// σ of the input noise: --input-noise, or its earlier spelling --noise (not both).
    func noise() throws -> Double {
        if inputNoise != nil && legacyNoise != nil {
            throw UsageFailure("--input-noise and --noise are the same option: give it once (--input-noise)")
        }
        let sigma = inputNoise ?? legacyNoise ?? 0
        guard sigma >= 0, sigma.isFinite else { throw UsageFailure("--input-noise: must be a finite number ≥ 0") }
        return sigma
    }

    func model(_ net: Network, _ stim: Stimulus) throws -> CircuitAwareModel {
        let noise = try noise()
        if let s = mismatchSeed, s < 1 || s > 2_147_483_647 { throw UsageFailure("--mismatch-seed: must be in 1...2147483647") }
        let dir = ModelFiles.directory(option: models)
        try ModelFiles.require(dir)
        let cal: CalibrationFile
        if let c = calibration {
            do { cal = try CalibrationFile.load(path: ModelFiles.absolute(c), modelsDirectory: dir, corner: corner) } catch let e as CalibrationError {
                throw UsageFailure("calibration \(e)")
            }
        } else {
            guard let p = CalibrationFiles.defaultPath(corner: corner) else {
                throw UsageFailure("no calibration for corner \(corner.rawValue): run `bmru calibrate --corner \(corner.rawValue)` (make calibrate) or pass --calibration FILE")
            }
            do { cal = try CalibrationFile.load(path: p, modelsDirectory: dir, corner: corner) } catch let e as CalibrationError {
                throw UsageFailure("calibration \(e)")
            }
        }
        let sample = mismatchSeed.map { MismatchSample(seed: $0, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT) }
        do {
            return try CircuitAwareModel(network: net, options: CircuitAwareOptions(
                calibration: cal, calibratedDeck: !uncalibratedDeck, mismatch: sample, noise: noise, noiseSeed: noiseSeed,
                modelsDirectory: dir), stimulus: stim)
        } catch let e as NetlistError { throw UsageFailure("\(e)") }
    }

    /// bench/calibration.sh: time this many runs of the circuit-aware model in-process
    @Option(name: .customLong("time-repeats"), help: .hidden) var timeRepeats: Int = 0

    func run(_ net: Network, _ stim: Stimulus) throws -> ModelTrace {
        let sigma = try noise()
        guard enabled else {
            guard sigma == 0 else { throw UsageFailure("--input-noise: needs --circuit-aware (the ideal model runs on the clean input)") }
            return IdealModel(network: net).run(stim)
        }
        let m = try model(net, stim)
        if timeRepeats > 0 {
            _ = m.run(stim)
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<timeRepeats { _ = m.run(stim) }
            let per = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(timeRepeats)
            print("circuit_aware_seconds_per_run=\(per) frames=\(stim.count)")
        }
        return m.run(stim)
    }
}

/// `bmru cosim` options of the calibration issue: the calibration the deck is emitted with, the shared
/// mismatch sample, and which behavioural model the circuit is compared with.
struct CoSimCalibrationArguments: ParsableArguments {
    @OptionGroup var calibrationArguments: CalibrationArguments
    @Option(name: .customLong("mismatch-seed"), help: "Shared mismatch sample: the same per-device delvto in the deck and in the circuit-aware model, which the circuit is then compared with.")
    var mismatchSeed: UInt64?
    @Flag(name: .customLong("circuit-aware"), help: "Compare the circuit with the circuit-aware model instead of the ideal model.")
    var circuitAware = false

    func apply(to options: inout CoSimOptions, network: Network, stimulus: Stimulus, corner: Corner, modelsDirectory dir: String) throws {
        let cal = try calibrationArguments.resolve(corner: corner, modelsDirectory: dir, temperature: options.temperature)
        options.calibration = cal
        if let s = mismatchSeed, s < 1 || s > 2_147_483_647 { throw UsageFailure("--mismatch-seed: must be in 1...2147483647") }
        guard mismatchSeed != nil || circuitAware else { return }
        guard let c = cal ?? (calibrationArguments.noCalibration ? Self.tables(corner: corner, dir: dir, temperature: options.temperature) : nil) else {
            throw UsageFailure("--mismatch-seed / --circuit-aware need calibration tables for corner \(corner.rawValue): run `bmru calibrate --corner \(corner.rawValue)` or pass --calibration FILE")
        }
        let sample = mismatchSeed.map { MismatchSample(seed: $0, nmosAVT: c.devices.nmosAVT, pmosAVT: c.devices.pmosAVT) }
        options.mismatchSample = sample
        let model: CircuitAwareModel
        do {
            model = try CircuitAwareModel(network: network, options: CircuitAwareOptions(
                calibration: c, calibratedDeck: cal != nil, mismatch: sample, modelsDirectory: dir,
                vdd: options.vdd, temperature: options.temperature), stimulus: stimulus)
        } catch let e as NetlistError { throw UsageFailure("\(e)") }
        options.behaviouralModel = { model.run($0) }
        options.behaviouralModelName = "circuit_aware"
    }

    /// The corner's tables for the model when the deck itself is uncalibrated.
    static func tables(corner: Corner, dir: String, temperature: Double = 27) -> CalibrationFile? {
        CalibrationFiles.defaultPath(corner: corner, temperature: temperature).flatMap { try? CalibrationFile.load(path: $0, modelsDirectory: dir, corner: corner) }
    }
}
