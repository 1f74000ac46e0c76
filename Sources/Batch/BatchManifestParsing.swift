import BMRUModel
import Foundation
import Netlist

// `BatchManifest.parse`: a manifest (JSON, or YAML via BatchManifestYAML.swift) checked key by key and its files
// read; the format is described in BatchManifest.swift.

extension BatchManifest {
    public static func parse(_ data: Data, file: String) throws -> BatchManifest {
        func fail(_ field: String, _ reason: String) -> BatchError {
            BatchError(kind: .manifest, file: file, field: field, reason: reason)
        }
        guard data.count <= 16 << 20 else { throw fail("", "manifest is larger than 16 MiB") }
        let ext = URL(fileURLWithPath: file).pathExtension.lowercased()
        // read once: JSON by the strict reader of network files, YAML converted to the same value
        let root: JSONNode
        if ext == "yaml" || ext == "yml" {
            root = try yamlValue(data, fail: fail)
        } else {
            do {
                root = try JSONNode.parse(data)
            } catch let e as StrictJSONError {
                throw fail("", "not valid JSON (\(e))")
            }
        }
        guard let top = root.fields else { throw fail("", "the manifest must be an object (a mapping of keys)") }
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
        guard let netList = top["networks"]?.elements, !netList.isEmpty else {
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
        guard let stimList = top["stimuli"]?.elements, !stimList.isEmpty else {
            throw fail("stimuli", "must be a non-empty array (file paths or {\"random\": {...}} objects)")
        }
        var stimuli: [BatchStimulus] = []
        for (i, entry) in stimList.enumerated() {
            let field = "stimuli[\(i)]"
            var s: BatchStimulus
            if case let .string(p) = entry {
                s = try fileStimulus(resolve(p), field: field, networks: networks, fail: fail)
            } else if let o = entry.fields {
                guard o.count == 1, let (k, value) = o.first, k == "file" || k == "random" else {
                    throw fail(field, "an object stimulus has exactly one key, \"file\" or \"random\"")
                }
                if k == "file" {
                    guard case let .string(p) = value, !p.isEmpty else { throw fail(field + ".file", "must be a file path string") }
                    s = try fileStimulus(resolve(p), field: field + ".file", networks: networks, fail: fail)
                } else {
                    guard let r = value.fields else { throw fail(field + ".random", "must be an object with frames, seed and density") }
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
            } else {
                throw fail(field, "must be a file path or an object {\"file\": ...} / {\"random\": {...}}")
            }
            if let j = stimuli.firstIndex(of: s) { throw fail(field, "same stimulus as stimuli[\(j)]") }
            stimuli.append(s)
        }

        // conditions
        func list(_ key: String) throws -> [JSONNode]? {
            guard let v = top[key] else { return nil }
            guard let a = v.elements, !a.isEmpty else { throw fail(key, "must be a non-empty array") }
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
            guard let o = m.fields else { throw fail("mismatch", "must be an object {samples, seed, nominal, shared}") }
            for key in o.keys.sorted() where !["samples", "seed", "nominal", "shared"].contains(key) {
                throw fail("mismatch.\(key)", "unknown key (expected samples, seed, nominal, shared)")
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
            var shared = false
            if let b = o["shared"] {
                guard case let .bool(bv) = b else { throw fail("mismatch.shared", "must be true or false") }
                shared = bv
            }
            mismatch = Mismatch(samples: Int(n), seed: UInt64(s), nominal: nominal, shared: shared)
        }

        var noise: Noise?
        if let m = top["noise"] {
            guard let o = m.fields else { throw fail("noise", "must be an object {sigma, samples, seed}") }
            for key in o.keys.sorted() where !["sigma", "samples", "seed"].contains(key) {
                throw fail("noise.\(key)", "unknown key (expected sigma, samples, seed)")
            }
            guard let levels = o["sigma"]?.elements, !levels.isEmpty, levels.count <= 1000 else {
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
            guard let o = t.fields else { throw fail("thresholds", "must be an object") }
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
}
