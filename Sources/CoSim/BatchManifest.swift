import BMRUModel
import Foundation
import Netlist
import Yams

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
    /// nil: nominal devices; else the Monte Carlo mismatch sample's ngspice seed
    public var mismatch_seed: UInt64?
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

    public static func parse(_ data: Data, file: String) throws -> BatchManifest {
        func fail(_ field: String, _ reason: String) -> BatchError {
            BatchError(kind: .manifest, file: file, field: field, reason: reason)
        }
        guard data.count <= 16 << 20 else { throw fail("", "manifest is larger than 16 MiB") }
        let ext = URL(fileURLWithPath: file).pathExtension.lowercased()
        let root: JSONValue
        if ext == "yaml" || ext == "yml" {
            root = try yamlValue(data, fail: fail)
        } else {
            do {
                try StrictJSON.check(data)
                root = try JSONDecoder().decode(JSONValue.self, from: data)
            } catch let e as StrictJSONError {
                throw fail("", "not valid JSON (\(e))")
            } catch {
                throw fail("", "not valid JSON (\(Self.describe(error)))")
            }
        }
        guard case let .object(top) = root else { throw fail("", "the manifest must be an object (a mapping of keys)") }
        let known: Set<String> = ["format", "version", "name", "networks", "stimuli", "corners", "temperatures", "vdds",
                                  "mismatch", "noise", "thresholds", "required_yield", "timeout_s", "comment", "calibration"]
        for k in top.keys.sorted() where !known.contains(k) {
            throw fail(k, "unknown key (expected one of \(known.sorted().joined(separator: ", ")))")
        }
        guard case let .string(fmt)? = top["format"], fmt == format else {
            throw fail("format", "must be \"\(format)\"")
        }
        guard let v = top["version"]?.integer, v == Int64(version) else {
            throw fail("version", "must be \(version)")
        }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardized.path
        }

        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let n = top["name"] {
            guard case let .string(s) = n, !s.isEmpty, s.count <= 64,
                  s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw fail("name", "must be 1-64 characters of letters, digits, '-', '_', '.'")
            }
            name = s
        }

        // networks
        guard case let .array(netList)? = top["networks"], !netList.isEmpty else {
            throw fail("networks", "must be a non-empty array of network file paths")
        }
        var networks: [(path: String, sha256: String, network: Network)] = []
        for (i, entry) in netList.enumerated() {
            guard case let .string(p) = entry, !p.isEmpty else { throw fail("networks[\(i)]", "must be a file path string") }
            let full = resolve(p)
            let bytes: Data
            do { bytes = try InputFile.read(full, limit: NetworkLimits.maxFileBytes) } catch let e as FormatError {
                throw fail("networks[\(i)]", "network file \(full): \(e.reason)")
            }
            let net: Network
            do {
                net = try NetworkFile.decode(bytes, file: full)
            } catch {
                throw fail("networks[\(i)]", "invalid network: \(error)")
            }
            // what no deck can be built for fails every job of the network: refused here, naming the field
            if let e = OperatingRange.gf180mcu.check(net, limit: 1).first(where: { $0.severity == .error }) {
                throw fail("networks[\(i)]", "\(full): \(e.field): \(e.reason)")
            }
            let sha = SHA256.hex(bytes)
            if let j = networks.firstIndex(where: { $0.sha256 == sha }) {
                throw fail("networks[\(i)]", "same content as networks[\(j)]")
            }
            networks.append((full, sha, net))
        }

        // stimuli
        guard case let .array(stimList)? = top["stimuli"], !stimList.isEmpty else {
            throw fail("stimuli", "must be a non-empty array (file paths or {\"random\": {...}} objects)")
        }
        var stimuli: [BatchStimulus] = []
        for (i, entry) in stimList.enumerated() {
            let field = "stimuli[\(i)]"
            var s: BatchStimulus
            switch entry {
            case let .string(p):
                s = try fileStimulus(resolve(p), field: field, networks: networks, fail: fail)
            case let .object(o):
                guard o.count == 1, let (k, value) = o.first, k == "file" || k == "random" else {
                    throw fail(field, "an object stimulus has exactly one key, \"file\" or \"random\"")
                }
                if k == "file" {
                    guard case let .string(p) = value, !p.isEmpty else { throw fail(field + ".file", "must be a file path string") }
                    s = try fileStimulus(resolve(p), field: field + ".file", networks: networks, fail: fail)
                } else {
                    guard case let .object(r) = value else { throw fail(field + ".random", "must be an object with frames, seed and density") }
                    for key in r.keys.sorted() where !["frames", "seed", "density"].contains(key) {
                        throw fail(field + ".random.\(key)", "unknown key (expected frames, seed, density)")
                    }
                    guard let frames = r["frames"]?.integer, frames >= 1, frames <= 100_000 else {
                        throw fail(field + ".random.frames", "must be an integer in 1...100000")
                    }
                    guard let seed = r["seed"]?.integer, seed >= 0 else {
                        throw fail(field + ".random.seed", "must be an integer ≥ 0")
                    }
                    var density = 0.0
                    if let d = r["density"] {
                        guard let dv = d.number, dv >= 0, dv < 1 else { throw fail(field + ".random.density", "must be a number in [0, 1)") }
                        density = dv
                    }
                    s = .random(frames: Int(frames), seed: seed, density: density)
                }
            default:
                throw fail(field, "must be a file path or an object {\"file\": ...} / {\"random\": {...}}")
            }
            if let j = stimuli.firstIndex(of: s) { throw fail(field, "same stimulus as stimuli[\(j)]") }
            stimuli.append(s)
        }

        // conditions
        func list(_ key: String) throws -> [JSONValue]? {
            guard let v = top[key] else { return nil }
            guard case let .array(a) = v, !a.isEmpty else { throw fail(key, "must be a non-empty array") }
            guard a.count <= 1000 else { throw fail(key, "more than 1000 entries") }
            return a
        }
        var corners: [Corner] = []
        for (i, c) in (try list("corners") ?? [.string("typical")]).enumerated() {
            guard case let .string(s) = c, let corner = Corner(rawValue: s) else {
                throw fail("corners[\(i)]", "unknown corner (expected typical, ff, ss, fs, sf)")
            }
            if corners.contains(corner) { throw fail("corners[\(i)]", "duplicate corner \(s)") }
            corners.append(corner)
        }
        func numbers(_ key: String, default d: Double, range: ClosedRange<Double>, unit: String) throws -> [Double] {
            var out: [Double] = []
            for (i, x) in (try list(key) ?? [.number(d)]).enumerated() {
                guard let v = x.number, v.isFinite, range.contains(v) else {
                    throw fail("\(key)[\(i)]", "must be a number in [\(NumberText.short(range.lowerBound)), \(NumberText.short(range.upperBound))] \(unit)")
                }
                if out.contains(v) { throw fail("\(key)[\(i)]", "duplicate value \(NumberText.short(v))") }
                out.append(v)
            }
            return out
        }
        let temperatures = try numbers("temperatures", default: 27, range: -60...200, unit: "°C")
        let vdds = try numbers("vdds", default: 1.8, range: 0.6...3.6, unit: "V")

        var mismatch: Mismatch?
        if let m = top["mismatch"] {
            guard case let .object(o) = m else { throw fail("mismatch", "must be an object {samples, seed, nominal}") }
            for key in o.keys.sorted() where !["samples", "seed", "nominal"].contains(key) {
                throw fail("mismatch.\(key)", "unknown key (expected samples, seed, nominal)")
            }
            guard let n = o["samples"]?.integer, n >= 1, n <= 1_000_000 else {
                throw fail("mismatch.samples", "must be an integer in 1...1000000")
            }
            guard let s = o["seed"]?.integer, s >= 1, UInt64(s) + UInt64(n) - 1 <= maxSeed else {
                throw fail("mismatch.seed", "must be an integer ≥ 1 with seed + samples − 1 ≤ \(maxSeed) (ngspice's seed range)")
            }
            var nominal = false
            if let b = o["nominal"] {
                guard case let .bool(bv) = b else { throw fail("mismatch.nominal", "must be true or false") }
                nominal = bv
            }
            mismatch = Mismatch(samples: Int(n), seed: UInt64(s), nominal: nominal)
        }

        var noise: Noise?
        if let m = top["noise"] {
            guard case let .object(o) = m else { throw fail("noise", "must be an object {sigma, samples, seed}") }
            for key in o.keys.sorted() where !["sigma", "samples", "seed"].contains(key) {
                throw fail("noise.\(key)", "unknown key (expected sigma, samples, seed)")
            }
            guard case let .array(levels)? = o["sigma"], !levels.isEmpty, levels.count <= 1000 else {
                throw fail("noise.sigma", "must be a non-empty array (at most 1000) of noise levels, model units RMS")
            }
            var sigma: [Double] = []
            for (i, x) in levels.enumerated() {
                guard let v = x.number, v.isFinite, v >= 0, v <= 1000 else {
                    throw fail("noise.sigma[\(i)]", "must be a finite number in [0, 1000] (model units RMS per frame and input)")
                }
                if sigma.contains(v) { throw fail("noise.sigma[\(i)]", "duplicate value \(NumberText.short(v))") }
                sigma.append(v)
            }
            var n: Int64 = 1
            if let x = o["samples"] {
                guard let v = x.integer, v >= 1, v <= 1_000_000 else { throw fail("noise.samples", "must be an integer in 1...1000000") }
                n = v
            }
            var seed: Int64 = 1
            if let x = o["seed"] {
                guard let v = x.integer, v >= 0, UInt64(v) + UInt64(n) - 1 <= maxNoiseSeed else {
                    throw fail("noise.seed", "must be an integer ≥ 0 with seed + samples − 1 ≤ \(maxNoiseSeed)")
                }
                seed = v
            }
            noise = Noise(sigma: sigma, samples: Int(n), seed: UInt64(seed))
        }

        var thresholds = BatchThresholds()
        if let t = top["thresholds"] {
            guard case let .object(o) = t else { throw fail("thresholds", "must be an object") }
            let keys = ["required_state_agreement", "require_decision_agreement", "margin", "decision_margin"]
            for key in o.keys.sorted() where !keys.contains(key) {
                throw fail("thresholds.\(key)", "unknown key (expected \(keys.joined(separator: ", ")))")
            }
            if let x = o["required_state_agreement"] {
                guard let v = x.number, v >= 0, v <= 1 else { throw fail("thresholds.required_state_agreement", "must be a number in [0, 1]") }
                thresholds.required_state_agreement = v
            }
            if let x = o["require_decision_agreement"] {
                guard case let .bool(v) = x else { throw fail("thresholds.require_decision_agreement", "must be true or false") }
                thresholds.require_decision_agreement = v
            }
            if let x = o["margin"] {
                guard let v = x.number, v >= 0, v.isFinite else { throw fail("thresholds.margin", "must be a finite number ≥ 0 (model units)") }
                thresholds.margin = v
            }
            if let x = o["decision_margin"] {
                guard let v = x.number, v >= 0, v.isFinite else { throw fail("thresholds.decision_margin", "must be a finite number ≥ 0") }
                thresholds.decision_margin = v
            }
        }
        var requiredYield = 1.0
        if let y = top["required_yield"] {
            guard let v = y.number, v >= 0, v <= 1 else { throw fail("required_yield", "must be a number in [0, 1]") }
            requiredYield = v
        }
        var timeout = 3600.0
        if let t = top["timeout_s"] {
            guard let v = t.number, v > 0, v <= 7 * 86400 else { throw fail("timeout_s", "must be a number of seconds in (0, 604800]") }
            timeout = v
        }
        if let c = top["comment"], case .string = c {} else if top["comment"] != nil {
            throw fail("comment", "must be a string")
        }
        var calibration = CalibrationChoice.automatic
        if let c = top["calibration"] {
            guard case let .string(v) = c, !v.isEmpty else {
                throw fail("calibration", "must be \"default\", \"none\" or a folder path holding <corner>.json tables")
            }
            switch v {
            case "default": calibration = .automatic
            case "none": calibration = .none
            default:
                let folder = resolve(v)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                    throw fail("calibration", "folder \(folder) does not exist (expected \"default\", \"none\" or a folder holding <corner>.json tables)")
                }
                calibration = .folder(folder)
            }
        }

        let manifest = BatchManifest(file: file, sha256: SHA256.hex(data), name: name, networks: networks, stimuli: stimuli,
                                     corners: corners, temperatures: temperatures, vdds: vdds, mismatch: mismatch, noise: noise,
                                     thresholds: thresholds, requiredYield: requiredYield, timeout: timeout,
                                     calibration: calibration)
        // product without overflow
        var total = 1.0
        let noiseJobs = noise.map { n in n.sigma.reduce(0.0) { $0 + ($1 == 0 ? 1 : Double(n.samples)) } } ?? 1
        total *= noiseJobs
        for n in [networks.count, stimuli.count, corners.count, temperatures.count, vdds.count, manifest.samples.count] {
            total *= Double(n)
        }
        if total > Double(hardJobLimit) {
            throw BatchError(kind: .tooLarge, file: file, field: "",
                             reason: "expands to \(Int(saturating: total)) jobs, more than the hard limit of \(hardJobLimit)")
        }
        return manifest
    }

    static func fileStimulus(_ path: String, field: String, networks: [(path: String, sha256: String, network: Network)],
                             fail: (String, String) -> BatchError) throws -> BatchStimulus {
        let bytes: Data
        do { bytes = try InputFile.read(path, limit: StimulusFile.maxFileBytes) } catch let e as FormatError {
            throw fail(field, "stimulus file \(path): \(e.reason)")
        }
        for n in networks {
            do {
                _ = try StimulusFile.parse(bytes, file: path, inputs: n.network.inputs)
            } catch {
                throw fail(field, "does not fit network \(n.network.name) (\(n.network.inputs) inputs): \(error)")
            }
        }
        return .file(path: path, sha256: SHA256.hex(bytes))
    }

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
                                                       calibration: calibrations[c], models_sha256: modelsSHA,
                                                       cell_library_sha256: cellSHA,
                                                       noise_sigma: noise?.sigma, noise_seed: noise?.seed)
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
                         mismatch_seed: job.mismatch_seed, thresholds: job.thresholds,
                         calibration_sha256: job.calibration?.sha256, models_sha256: job.models_sha256,
                         cell_library_sha256: job.cell_library_sha256,
                         noise_sigma: job.inputNoise?.sigma, noise_seed: job.inputNoise?.seed)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = (try? enc.encode(key)) ?? Data()
        return String(SHA256.hex(data).prefix(16))
    }

    static func describe(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(ctx) = error {
            return ctx.underlyingError.map { "\($0.localizedDescription)" } ?? ctx.debugDescription
        }
        return "\(error)"
    }
}

/// Shard selection: shard `index` of `count` (0-based) holds the jobs whose index ≡ `index` (mod `count`).
public struct BatchShard: Equatable, Sendable, Codable, CustomStringConvertible {
    public var index: Int
    public var count: Int
    public init(index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses "I/N" with 0 ≤ I < N.
    public static func parse(_ text: String) -> BatchShard? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1_000_000, i >= 0, i < n else {
            return nil
        }
        return BatchShard(index: i, count: n)
    }

    public func contains(_ job: BatchJob) -> Bool { job.index % count == index }
    public var description: String { "\(index)/\(count)" }
}

extension BatchManifest {
    /// A YAML manifest as the JSON value of the same structure: plain scalars by YAML's core schema (null,
    /// true/false, integers, floats, else strings), quoted scalars always strings; keys must be strings;
    /// anchors/aliases and duplicate keys are refused.
    static func yamlValue(_ data: Data, fail: (String, String) -> BatchError) throws -> JSONValue {
        guard let text = String(data: data, encoding: .utf8) else { throw fail("", "not valid YAML (not UTF-8 text)") }
        // before Yams sees anything: its composer expands aliases into copies, so a few hundred bytes of
        // nested aliases grow without limit, and it recurses once per nesting level
        if let problem = YAMLPrescan.problem(in: text) {
            throw fail("line \(problem.line), column \(problem.column)", problem.reason)
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw fail("", "not valid YAML (\(error))")
        }
        guard let root = node else { throw fail("", "the YAML manifest is empty") }
        func convert(_ n: Node, _ path: String, depth: Int) throws -> JSONValue {
            guard depth < 64 else { throw fail(path, "nested too deeply") }
            switch n {
            case let .scalar(s):
                if s.style != .plain { return .string(s.string) }
                if n.null != nil { return .null }
                if let b = n.bool { return .bool(b) }
                if let i = n.int { return .integer(Int64(i)) }
                if let d = n.float { return .number(d) }
                return .string(s.string)
            case let .sequence(seq):
                return .array(try seq.enumerated().map { try convert($0.element, "\(path)[\($0.offset)]", depth: depth + 1) })
            case let .mapping(map):
                var o: [String: JSONValue] = [:]
                for (k, v) in map {
                    guard case let .scalar(ks) = k else { throw fail(path, "keys must be plain strings") }
                    let field = path.isEmpty ? ks.string : path + "." + ks.string
                    o[ks.string] = try convert(v, field, depth: depth + 1)
                }
                return .object(o)
            case .alias:
                throw fail(path, "YAML aliases are not supported")
            }
        }
        return try convert(root, "", depth: 0)
    }
}

/// A scan of YAML text for what a manifest may not use, without parsing it: anchors (`&a`) and aliases (`*a`)
/// outside quoted scalars and comments, flow nesting (`[`, `{`) deeper than `maxDepth`, block nesting
/// (indentation plus `- `/`? ` prefixes) beyond `maxColumn`, and more than `maxBytes`. Conservative: an
/// `&name`/`*name` token inside a block scalar is refused too (the message says how to write it: quoted).
enum YAMLPrescan {
    static let maxBytes = 1 << 20
    static let maxDepth = 64
    static let maxColumn = 128

    static func problem(in text: String) -> (line: Int, column: Int, reason: String)? {
        let u = Array(text.utf8)
        if u.count > maxBytes { return (1, 1, "YAML manifest is \(u.count) bytes, more than the limit of \(maxBytes)") }
        var line = 1, lineStart = 0, depth = 0, i = 0
        var quote: UInt8? = nil           // ' or " while inside a quoted scalar
        var atLineStart = true            // only indentation and `- ` / `? ` / `: ` indicators so far
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        func isFlowIndicator(_ b: UInt8) -> Bool { b == 0x2C || b == 0x5B || b == 0x5D || b == 0x7B || b == 0x7D }
        while i < u.count {
            let b = u[i]
            let column = i - lineStart + 1
            if b == 0x0A { line += 1; lineStart = i + 1; atLineStart = true; i += 1; continue }
            if let q = quote {
                if q == 0x22 && b == 0x5C { i += 2; continue }                          // \x in "..."
                if b == q {
                    if q == 0x27 && i + 1 < u.count && u[i + 1] == 0x27 { i += 2; continue } // '' in '...'
                    quote = nil
                }
                i += 1; continue
            }
            let prev: UInt8 = i > lineStart ? u[i - 1] : 0x20
            let tokenStart = isSpace(prev) || isFlowIndicator(prev) || prev == 0x3A || prev == 0x2D || prev == 0x3F
            if atLineStart {
                if b == 0x20 || b == 0x09 { i += 1; continue }
                if (b == 0x2D || b == 0x3F || b == 0x3A) && (i + 1 == u.count || isSpace(u[i + 1])) { i += 1; continue }
                atLineStart = false
                if column > maxColumn {
                    return (line, column, "nested too deeply (content starts at column \(column), the limit is \(maxColumn))")
                }
            }
            switch b {
            case 0x23 where isSpace(prev) || i == lineStart:                                  // comment
                while i < u.count && u[i] != 0x0A { i += 1 }
                continue
            case 0x27 where tokenStart, 0x22 where tokenStart:
                quote = b
            case 0x5B, 0x7B:
                depth += 1
                if depth > maxDepth { return (line, column, "nested too deeply (more than \(maxDepth) levels of [ or {)") }
            case 0x5D, 0x7D:
                depth = max(0, depth - 1)
            case 0x26 where tokenStart && i + 1 < u.count && !isSpace(u[i + 1]) && !isFlowIndicator(u[i + 1]),
                 0x2A where tokenStart && i + 1 < u.count && !isSpace(u[i + 1]) && !isFlowIndicator(u[i + 1]):
                return (line, column, b == 0x26 ? "YAML anchors (&name) are not supported (write the value out; quote text that starts with &)"
                                                : "YAML aliases (*name) are not supported (write the value out; quote text that starts with *)")
            default:
                break
            }
            i += 1
        }
        return nil
    }
}

/// A JSON value for strict manifest checking (unknown keys, exact types).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "unsupported JSON value")
    }

    /// an exact integer (also a number with no fractional part)
    var integer: Int64? {
        switch self {
        case let .integer(i): return i
        case let .number(d) where d.rounded() == d && abs(d) < 9e15: return Int64(d)
        default: return nil
        }
    }

    var number: Double? {
        switch self {
        case let .integer(i): return Double(i)
        case let .number(d): return d
        default: return nil
        }
    }
}

