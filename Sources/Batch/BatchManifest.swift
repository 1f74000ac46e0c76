import BMRUModel
import Foundation
import Netlist

// A batch manifest (`bmru-batch` version 1, JSON or YAML) and its expansion into jobs.
//
//   { "format": "bmru-batch", "version": 1, "name": "tiny-sweep",
//     "networks": ["tiny.json"],                       paths relative to the manifest's folder
//     "stimuli": ["tiny.csv", {"random": {"frames": 8, "seed": 1, "density": 0.2}}],
//     "corners": ["typical", "ff"], "temperatures": [27, 85], "vdds": [1.8],
//     "mismatch": {"samples": 4, "seed": 1000, "nominal": true},
//     "noise": {"sigma": [0, 0.02, 0.05], "samples": 4, "seed": 1},   input-referred noise (InputNoise)
//     "thresholds": {"required_state_agreement": 0.995, "require_decision_agreement": true,
//                    "margin": 0.05, "decision_margin": 0.1},
//     "required_yield": 0.9, "timeout_s": 600,
//     "calibration": "default" }                       or "none", or a folder holding <corner>.json
//
// A file named *.yaml / *.yml is read as YAML with the same keys (duplicate keys are errors in both forms).
// The jobs are the cross product networks × stimuli × corners × temperatures × vdds × samples × noise, in
// that order (the job index). Noise: every σ > 0 gives `samples` jobs with noise seeds seed … seed + samples − 1;
// σ = 0 gives one job without noise (the same job, and id, as a manifest without `noise`). Each job's id is derived from its content (network file sha256, stimulus content,
// conditions, mismatch seed, thresholds, and what decides the circuit: the calibration tables' sha256, the
// model files' sha256 and the cell library's sha256), never from paths or positions, so the same manifest
// always gives the same ids and a job keeps its id when the manifest grows, while a result made with other
// models, other calibration tables or another circuit generator is never taken for this job's (`--resume`).

/// A parsed and validated manifest.
public struct BatchManifest: Sendable {
    public static let format = "bmru-batch"
    public static let version = 1
    /// expansions above this many jobs need `allowLarge`
    public static let defaultJobLimit = 10_000
    /// never more than this, even with `allowLarge` (ids, summaries and folders stay manageable)
    public static let hardJobLimit = 10_000_000
    public static let maxSeed: UInt64 = 2_147_483_647

    /// The manifest's `calibration` key.
    public enum CalibrationChoice: Equatable, Sendable {
        /// absent or "default": the tables `bmru cosim` uses (models/calibration/<corner>.json) when present and
        /// made for these models, else nominal sizes (with a warning)
        case automatic
        /// "none": nominal sizes
        case none
        /// a folder (absolute) that must hold a valid <corner>.json for every corner
        case folder(String)
    }

    public struct Mismatch: Codable, Equatable, Sendable {
        public var samples: Int
        public var seed: UInt64
        /// also run the nominal (no mismatch) job for every condition
        public var nominal: Bool
        /// shared-sample mode: each sample's per-device offsets are drawn by bmru, written into the deck and given
        /// to the circuit-aware model the job is judged against (false: the PDK's own draws, judged against the
        /// ideal model)
        public var shared: Bool = false
    }

    /// The manifest's `noise` key: input-referred noise levels and draws.
    public struct Noise: Codable, Equatable, Sendable {
        /// σ levels, model units RMS per frame and input; 0 = one noise-free job
        public var sigma: [Double]
        /// noise draws per σ > 0 (seeds seed … seed + samples − 1)
        public var samples: Int
        public var seed: UInt64
    }
    /// largest noise seed + samples − 1 (exact in every JSON reader)
    public static let maxNoiseSeed: UInt64 = 9_007_199_254_740_991

    public var file: String
    /// sha256 of the manifest's bytes
    public var sha256: String
    public var name: String
    public var networks: [(path: String, sha256: String, network: Network)]
    public var stimuli: [BatchStimulus]
    public var corners: [Corner]
    public var temperatures: [Double]
    public var vdds: [Double]
    public var mismatch: Mismatch?
    public var noise: Noise?
    public var thresholds: BatchThresholds
    public var requiredYield: Double
    public var timeout: Double
    public var calibration: CalibrationChoice = .automatic

    /// mismatch seeds per condition: nil = nominal
    public var samples: [UInt64?] {
        guard let m = mismatch else { return [nil] }
        var out: [UInt64?] = m.nominal ? [nil] : []
        for k in 0..<m.samples { out.append(m.seed + UInt64(k)) }
        return out
    }

    /// (σ, seed) per condition and mismatch sample: nil = no noise
    public var noiseSettings: [InputNoise?] {
        guard let n = noise else { return [nil] }
        var out: [InputNoise?] = []
        for s in n.sigma {
            if s == 0 { out.append(nil); continue }
            for k in 0..<n.samples { out.append(InputNoise(sigma: s, seed: n.seed + UInt64(k))) }
        }
        return out
    }

    public var jobCount: Int {
        networks.count * stimuli.count * corners.count * temperatures.count * vdds.count * samples.count * noiseSettings.count
    }

    /// Reads and validates a manifest file. Relative paths inside resolve from the manifest's folder.
    public static func load(path: String) throws -> BatchManifest {
        let data: Data
        // a JSON manifest is small; YAML ones are bounded again (1 MiB) by the prescan
        do { data = try InputFile.read(path, limit: 16 << 20) } catch let e as FormatError {
            throw BatchError(kind: .manifest, file: path, reason: "manifest file: \(e.reason)")
        }
        return try parse(data, file: path)
    }
}
