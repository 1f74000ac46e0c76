import BMRUModel
import Foundation
import Netlist

// The parts of a batch job (stimulus, thresholds, calibration tables) and the error of manifests and batch folders.

/// Why a manifest or a batch folder cannot be used. `field` names the manifest key.
public struct BatchError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable { case manifest, tooLarge, output, merge, worker }
    public var kind: Kind
    public var file: String
    public var field: String
    public var reason: String
    public init(kind: Kind, file: String, field: String = "", reason: String) {
        self.kind = kind; self.file = file; self.field = field; self.reason = reason
    }
    public var description: String {
        field.isEmpty ? "\(file): \(reason)" : "\(file): \(field): \(reason)"
    }

    /// Runs file output of the batch folder: a `FormatError` (the path and the errno reason) becomes a
    /// `BatchError` of `kind` naming the same path and reason.
    static func writing<T>(_ kind: Kind = .output, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as FormatError {
            throw BatchError(kind: kind, file: e.file, reason: e.reason)
        }
    }
}

/// The agreement thresholds every job of a batch is judged by.
public struct BatchThresholds: Codable, Equatable, Sendable {
    public var required_state_agreement: Double = 0.995
    public var require_decision_agreement: Bool = true
    public var margin: Double = 0.05
    public var decision_margin: Double = 0.1
    public init() {}
}

/// Where a job's input sequence comes from.
public struct BatchStimulus: Codable, Equatable, Sendable {
    /// "file" or "random"
    public var kind: String
    /// file: absolute path and the sha256 of its bytes
    public var path: String?
    public var sha256: String?
    /// random: StimulusFile.random(inputs: network inputs, frames:, seed:, density:)
    public var frames: Int?
    public var seed: Int64?
    public var density: Double?
    /// short human name: the file's name or "random-f<frames>-s<seed>"
    public var label: String

    static func file(path: String, sha256: String) -> BatchStimulus {
        BatchStimulus(kind: "file", path: path, sha256: sha256, frames: nil, seed: nil, density: nil,
                      label: URL(fileURLWithPath: path).lastPathComponent)
    }

    static func random(frames: Int, seed: Int64, density: Double) -> BatchStimulus {
        BatchStimulus(kind: "random", path: nil, sha256: nil, frames: frames, seed: seed, density: density,
                      label: "random-f\(frames)-s\(seed)" + (density > 0 ? "-d\(density)" : ""))
    }
}

/// The calibration tables a job's deck is emitted with (`DIR/<corner>.json`).
public struct BatchCalibration: Codable, Equatable, Sendable {
    public var path: String
    /// sha256 of the file's bytes (part of the job id; the worker checks the file still has it)
    public var sha256: String
    public init(path: String, sha256: String) { self.path = path; self.sha256 = sha256 }
}

/// One co-simulation of a batch: everything a worker needs to run it.
public struct BatchJob: Codable, Equatable, Sendable {
    /// 16 hex digits derived from the job's content (see `BatchManifest.jobID`)
    public var id: String
    /// position in the manifest's expansion (decides the shard)
    public var index: Int
    public var network_path: String
    public var network_sha256: String
    public var network_name: String
    public var stimulus: BatchStimulus
    public var corner: String
    public var vdd: Double
    public var temperature_c: Double
    /// nil: nominal devices; else the Monte Carlo mismatch sample's seed (ngspice's, or with `mismatch_shared`
    /// the seed of bmru's own per-device draws)
    public var mismatch_seed: UInt64?
    /// true: a shared sample (offsets in the deck and in the circuit-aware model the job is judged against);
    /// nil: the PDK's draws (absent from jobs of manifests without `mismatch.shared`)
    public var mismatch_shared: Bool? = nil
    public var thresholds: BatchThresholds
    public var models_directory: String
    public var timeout_s: Double
    /// nil: nominal sizes (`"calibration": "none"`, or no tables for this corner)
    public var calibration: BatchCalibration?
    /// sha256 over the model files (design.ngspice, sm141064.ngspice); nil when they were not readable
    public var models_sha256: String?
    /// sha256 of the cell library the emitter writes (CalibrationFile.currentCellLibrarySHA256)
    public var cell_library_sha256: String?
    /// input-referred noise σ (model units RMS per frame and input) and the seed of its draws; nil: no noise
    /// (also in result files written before the noise dimension)
    public var noise_sigma: Double? = nil
    public var noise_seed: UInt64? = nil

    /// the job's input noise (nil: none)
    public var inputNoise: InputNoise? {
        guard let s = noise_sigma, s > 0 else { return nil }
        return InputNoise(sigma: s, seed: noise_seed ?? 1)
    }

    /// "typical / 27 °C / 1.8 V" — the summary's grouping key (with the network)
    public var conditionLabel: String {
        "\(corner) / \(NumberText.short(temperature_c)) °C / \(NumberText.short(vdd)) V"
    }
}
