import BMRUModel
import Foundation
import Netlist

// A manifest's expansion into jobs: the calibration tables per corner, the cross product in job-index order and
// the content-derived job ids.

extension BatchManifest {
    /// The calibration tables of every corner, as the manifest's `calibration` key asks: `defaultDirectory` is the
    /// folder `bmru cosim` takes its tables from (models/calibration). Tables are checked against the model files
    /// in `modelsDirectory`, the cell library and the corner. `.automatic` leaves a corner without usable tables
    /// uncalibrated and says why in `warnings`; a named folder must hold valid tables for every corner.
    public func calibrations(modelsDirectory: String, defaultDirectory: String?) throws
        -> (tables: [Corner: BatchCalibration], warnings: [String]) {
        var tables: [Corner: BatchCalibration] = [:]
        var warnings: [String] = []
        let folder: String?
        switch calibration {
        case .none: return ([:], [])
        case .automatic: folder = defaultDirectory
        case let .folder(f): folder = f
        }
        for corner in corners {
            guard let dir = folder else {
                warnings.append("no calibration folder: corner \(corner.rawValue) runs with nominal sizes (run `make calibrate`, or set \"calibration\": \"none\")")
                continue
            }
            let path = dir + "/" + corner.rawValue + ".json"
            do {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw CalibrationError(kind: .unreadable, file: path, field: "-", reason: "no such file")
                }
                _ = try CalibrationFile.load(path: path, modelsDirectory: modelsDirectory, corner: corner)
                tables[corner] = BatchCalibration(path: path, sha256: SHA256.hex(bytes))
            } catch {
                if case .automatic = calibration {
                    warnings.append("not using the default calibration for corner \(corner.rawValue): \(error) (nominal sizes; run `make calibrate`, or set \"calibration\": \"none\")")
                } else {
                    throw BatchError(kind: .manifest, file: file, field: "calibration", reason: "\(error)")
                }
            }
        }
        return (tables, warnings)
    }

    /// sha256 over the sha256 of design.ngspice and sm141064.ngspice in `directory`; nil when one is unreadable.
    public static func modelsFingerprint(directory: String) -> String? {
        guard let f = try? CalibrationFile.modelFingerprints(directory: directory) else { return nil }
        let text = f.keys.sorted().map { "\($0) \(f[$0]!)" }.joined(separator: "\n")
        return SHA256.hex(Data(text.utf8))
    }

    /// The jobs in expansion order. Throws `.tooLarge` above `BatchManifest.defaultJobLimit` unless `allowLarge`.
    /// `calibrations`: the tables per corner (from `calibrations(modelsDirectory:defaultDirectory:)`); a corner
    /// missing from it runs with nominal sizes.
    public func jobs(modelsDirectory: String, calibrations: [Corner: BatchCalibration] = [:],
                     allowLarge: Bool = false) throws -> [BatchJob] {
        let count = jobCount
        if count > Self.defaultJobLimit && !allowLarge {
            throw BatchError(kind: .tooLarge, file: file, field: "",
                             reason: "expands to \(count) jobs (more than \(Self.defaultJobLimit)); pass --allow-large to run it")
        }
        let modelsSHA = Self.modelsFingerprint(directory: modelsDirectory)
        let cellSHA = CalibrationFile.currentCellLibrarySHA256
        let noiseLevels = noiseSettings
        var out: [BatchJob] = []
        out.reserveCapacity(count)
        var seen: [String: Int] = [:]
        // a corner's table for each temperature: the nearest-temperature table beside the corner's 27 °C table
        // (CalibrationTables), checked like it; only the 27 °C table when the folder has no others
        var byTemperature: [String: BatchCalibration] = [:]
        func calibration(_ c: Corner, _ t: Double) throws -> BatchCalibration? {
            guard let base = calibrations[c] else { return nil }
            let key = "\(c.rawValue)@\(t)"
            if let k = byTemperature[key] { return k }
            let folder = URL(fileURLWithPath: base.path).deletingLastPathComponent().path
            var chosen = base
            if let p = CalibrationTables.nearest(in: folder, corner: c, temperature: t), p != base.path {
                do {
                    guard let bytes = FileManager.default.contents(atPath: p) else {
                        throw CalibrationError(kind: .unreadable, file: p, field: "-", reason: "cannot read it")
                    }
                    _ = try CalibrationFile.load(path: p, modelsDirectory: modelsDirectory, corner: c)
                    chosen = BatchCalibration(path: p, sha256: SHA256.hex(bytes))
                } catch {
                    throw BatchError(kind: .manifest, file: file, field: "calibration",
                                     reason: "the \(c.rawValue) table for \(t) °C is not usable: \(error) (remove it, or re-run `bmru calibrate --corner \(c.rawValue) --temp=\(t)`)")
                }
            }
            byTemperature[key] = chosen
            return chosen
        }
        for n in networks {
            for s in stimuli {
                for c in corners {
                    for t in temperatures {
                        for v in vdds {
                            for seed in samples {
                                for noise in noiseLevels {
                                    var job = BatchJob(id: "", index: out.count, network_path: n.path, network_sha256: n.sha256,
                                                       network_name: n.network.name, stimulus: s, corner: c.rawValue, vdd: v,
                                                       temperature_c: t, mismatch_seed: seed, thresholds: thresholds,
                                                       models_directory: modelsDirectory, timeout_s: timeout,
                                                       calibration: try calibration(c, t), models_sha256: modelsSHA,
                                                       cell_library_sha256: cellSHA,
                                                       noise_sigma: noise?.sigma, noise_seed: noise?.seed)
                                    if seed != nil, mismatch?.shared == true {
                                        guard calibrations[c] != nil else {
                                            throw BatchError(kind: .manifest, file: file, field: "mismatch.shared",
                                                             reason: "needs calibration tables for corner \(c.rawValue) (the circuit-aware model is built from them): run `bmru calibrate --corner \(c.rawValue)`")
                                        }
                                        job.mismatch_shared = true
                                    }
                                    job.id = Self.jobID(job)
                                    if let other = seen[job.id] {
                                        throw BatchError(kind: .manifest, file: file, field: "",
                                                         reason: "jobs \(other) and \(job.index) have the same content (id \(job.id))")
                                    }
                                    seen[job.id] = job.index
                                    out.append(job)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The content that identifies a job's result: what is simulated and how it is judged. Paths, positions,
    /// the models folder's path and the time limit are left out; the content of the model files, of the
    /// calibration tables and of the cell library are in.
    struct JobKey: Codable {
        var network_sha256: String
        var stimulus_kind: String
        var stimulus_sha256: String?
        var stimulus_frames: Int?
        var stimulus_seed: Int64?
        var stimulus_density: Double?
        var corner: String
        var vdd: Double
        var temperature_c: Double
        var mismatch_seed: UInt64?
        /// absent unless shared, so ids of PDK-draw jobs are those of manifests before the shared mode
        var mismatch_shared: Bool?
        var thresholds: BatchThresholds
        var calibration_sha256: String?
        var models_sha256: String?
        var cell_library_sha256: String?
        /// absent (nil) without noise, so ids of jobs without noise are those of manifests before the noise key
        var noise_sigma: Double?
        var noise_seed: UInt64?
    }

    /// First 16 hex digits of the sha256 of the job key's canonical JSON.
    public static func jobID(_ job: BatchJob) -> String {
        let key = JobKey(network_sha256: job.network_sha256, stimulus_kind: job.stimulus.kind,
                         stimulus_sha256: job.stimulus.sha256, stimulus_frames: job.stimulus.frames,
                         stimulus_seed: job.stimulus.seed, stimulus_density: job.stimulus.density,
                         corner: job.corner, vdd: job.vdd, temperature_c: job.temperature_c,
                         mismatch_seed: job.mismatch_seed, mismatch_shared: job.mismatch_shared, thresholds: job.thresholds,
                         calibration_sha256: job.calibration?.sha256, models_sha256: job.models_sha256,
                         cell_library_sha256: job.cell_library_sha256,
                         noise_sigma: job.inputNoise?.sigma, noise_seed: job.inputNoise?.seed)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = (try? enc.encode(key)) ?? Data()
        return String(SHA256.hex(data).prefix(16))
    }
}
