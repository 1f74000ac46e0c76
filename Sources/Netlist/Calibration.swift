// Calibration tables of the cell library, measured on the GF180MCU models (`bmru calibrate`), and their
// inversion: the width that realises a trained weight, the bias current that realises a threshold or level.
//
// What is measured (see CalibrationBench for the benches):
// - weight mirrors: gain / drawn ratio ("factor") of one finger of width W_f (1.2 .. 7.92 µm, L 2 µm) against
//   the 2-finger reference, at input currents 0.05 .. 4 nA, for the three paths a weight can take:
//   `positive` (cascoded sink -> PMOS sum mirror, relu/bmru w > 0), `negative` (plain sink from the summing
//   node, w < 0), `cascoded` (cascoded sink straight into an identity layer's PMOS output diode).
//   A weight of m fingers is taken to have the factor of one of its fingers (fingers in parallel).
// - FQ-BMRU cell: switch-up, switch-down (at the candidate probe) and output level against the three bias
//   currents, at unit currents 0.1 .. 3 nA; output with s = 0 (leakage).
// - leakage floor of a relu output with zero input; settling time constants of a mirror against current;
//   subthreshold slope and delvto sensitivity of both devices; A_VT from the PDK's statistical models.
//
// Interpolation is piecewise linear in log(current) and in the table's second variable; values outside a
// table are clamped to its edge (documented in the mapping notes).

import BMRUModel
import Foundation

/// Why a calibration file cannot be used.
public struct CalibrationError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable { case unreadable, format, modelMismatch, libraryMismatch, cornerMismatch }
    public var kind: Kind
    public var file: String
    public var field: String
    public var reason: String
    public init(kind: Kind, file: String, field: String, reason: String) {
        self.kind = kind; self.file = file; self.field = field; self.reason = reason
    }
    public var description: String { "\(file): \(field): \(reason)" }
}

/// The weight path a mirror sits in.
public enum MirrorPath: String, Codable, CaseIterable, Sendable {
    case positive, negative, cascoded
}

/// Weight-mirror gain table: factor[path][current][width] = measured gain / drawn ratio.
public struct MirrorTable: Codable, Equatable, Sendable {
    /// input currents, A (ascending)
    public var currentsA: [Double]
    /// drawn finger widths, µm (ascending; m = 1)
    public var fingerWidthsUm: [Double]
    public var positive: [[Double]]
    public var negative: [[Double]]
    public var cascoded: [[Double]]
    /// a relu output whose only weight (4 fingers of 7.92 µm) sees zero input: current at the probe, A
    public var leakageA: Double

    public init(currentsA: [Double], fingerWidthsUm: [Double], positive: [[Double]], negative: [[Double]], cascoded: [[Double]], leakageA: Double) {
        self.currentsA = currentsA; self.fingerWidthsUm = fingerWidthsUm; self.positive = positive
        self.negative = negative; self.cascoded = cascoded; self.leakageA = leakageA
    }

    public func factors(_ path: MirrorPath) -> [[Double]] {
        switch path { case .positive: return positive; case .negative: return negative; case .cascoded: return cascoded }
    }

    /// measured gain / drawn ratio for one finger of width `wf` µm at input current `current` A
    public func factor(_ path: MirrorPath, fingerWidth wf: Double, current: Double) -> Double {
        Interp.bilinear(x: log(max(current, 1e-18)), xs: currentsA.map { log($0) }, y: wf, ys: fingerWidthsUm,
                        table: factors(path))
    }
}

/// One cell of the cell bench.
public struct CellPoint: Codable, Equatable, Sendable {
    /// requested (drawn) bias currents, units of the unit current
    public var thetaHighBias: Double
    public var widthBias: Double
    public var levelBias: Double
    /// measured at the candidate probe, units
    public var switchUp: Double
    public var switchDown: Double
    public var levelOn: Double
    public var levelOff: Double

    public init(thetaHighBias: Double, widthBias: Double, levelBias: Double, switchUp: Double, switchDown: Double, levelOn: Double, levelOff: Double) {
        self.thetaHighBias = thetaHighBias; self.widthBias = widthBias; self.levelBias = levelBias
        self.switchUp = switchUp; self.switchDown = switchDown; self.levelOn = levelOn; self.levelOff = levelOff
    }
}

/// Cell table at one unit current.
public struct CellTableRow: Codable, Equatable, Sendable {
    public var unitCurrentA: Double
    public var points: [CellPoint]
    public init(unitCurrentA: Double, points: [CellPoint]) { self.unitCurrentA = unitCurrentA; self.points = points }
}

/// Settling of a mirror after a step of its input current.
public struct SettlingPoint: Codable, Equatable, Sendable {
    /// the current after the step, A
    public var currentA: Double
    /// 63 % time constant of the output, s
    public var tauS: Double

    public init(currentA: Double, tauS: Double) { self.currentA = currentA; self.tauS = tauS }
}

/// Device facts measured with the same models.
public struct DeviceFacts: Codable, Equatable, Sendable {
    /// n·U_T of the NMOS reference diode and the PMOS sum diode, V per e-fold of current (fit over 0.05..4 nA)
    public var nmosSlopeV: Double
    public var pmosSlopeV: Double
    /// d ln(I_out) / d(delvto) of a mirror's output device, 1/V (measured with delvto = ±5 mV on it)
    public var nmosDelvtoSensitivity: Double
    public var pmosDelvtoSensitivity: Double
    /// Pelgrom coefficients of one device, σ(V_T) = A_VT / sqrt(W_eff·L_eff), V·µm; extracted by a Monte Carlo
    /// over the PDK wrapper subcircuits (sw_stat_mismatch=1, many instances, σ of V_GS at 1 nA)
    public var nmosAVT: Double
    public var pmosAVT: Double
    /// the same from the PDK's parameters (0.7071·par_vth), for comparison
    public var nmosAVTModel: Double
    public var pmosAVTModel: Double
    /// instances in the Monte Carlo
    public var monteCarloInstances: Int
    /// effective size offsets of the PDK's mismatch formula: W_eff = W − dW, L_eff = L − dL (µm)
    public var mismatchDeltaWUm: Double
    public var mismatchDeltaLUm: Double

    public init(nmosSlopeV: Double, pmosSlopeV: Double, nmosDelvtoSensitivity: Double, pmosDelvtoSensitivity: Double,
                nmosAVT: Double, pmosAVT: Double, nmosAVTModel: Double, pmosAVTModel: Double, monteCarloInstances: Int,
                mismatchDeltaWUm: Double, mismatchDeltaLUm: Double) {
        self.nmosSlopeV = nmosSlopeV; self.pmosSlopeV = pmosSlopeV
        self.nmosDelvtoSensitivity = nmosDelvtoSensitivity; self.pmosDelvtoSensitivity = pmosDelvtoSensitivity
        self.nmosAVT = nmosAVT; self.pmosAVT = pmosAVT; self.nmosAVTModel = nmosAVTModel; self.pmosAVTModel = pmosAVTModel
        self.monteCarloInstances = monteCarloInstances; self.mismatchDeltaWUm = mismatchDeltaWUm; self.mismatchDeltaLUm = mismatchDeltaLUm
    }
}

/// A calibration file (models/calibration/<corner>.json).
public struct CalibrationFile: Codable, Equatable, Sendable {
    public var format: String = "bmru-calibration"
    public var version: Int = 1
    public var generator: String
    public var corner: String
    public var temperatureC: Double
    public var vdd: Double
    /// sha256 of every model file the measurements used, by file name
    public var modelFiles: [String: String]
    /// sha256 of the emitted cell library text: a calibration is only valid for the cells it measured
    public var cellLibrarySHA256: String
    public var mirror: MirrorTable
    public var cells: [CellTableRow]
    public var settling: [SettlingPoint]
    public var devices: DeviceFacts

    public init(generator: String, corner: String, temperatureC: Double, vdd: Double, modelFiles: [String: String],
                cellLibrarySHA256: String, mirror: MirrorTable, cells: [CellTableRow], settling: [SettlingPoint], devices: DeviceFacts) {
        self.generator = generator; self.corner = corner; self.temperatureC = temperatureC; self.vdd = vdd
        self.modelFiles = modelFiles; self.cellLibrarySHA256 = cellLibrarySHA256; self.mirror = mirror; self.cells = cells
        self.settling = settling; self.devices = devices
    }

    public static let formatName = "bmru-calibration"
    public static let formatVersion = 1

    /// sha256 of the cell library the emitter writes today: its circuit lines only (comments and blank lines
    /// are left out, so rewording a comment does not invalidate calibrations).
    public static var currentCellLibrarySHA256: String {
        let circuit = SpiceText.lines(CellLibrary.cards()).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("*") }
        return SHA256.hex(Data(circuit.joined(separator: "\n").utf8))
    }

    /// sha256 of the model files in `directory`, by file name.
    public static func modelFingerprints(directory: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for n in ["design.ngspice", "sm141064.ngspice"] {
            guard let d = FileManager.default.contents(atPath: directory + "/" + n) else {
                throw CalibrationError(kind: .unreadable, file: directory + "/" + n, field: "-",
                                       reason: "model file missing or unreadable (run `make models`)")
            }
            out[n] = SHA256.hex(d)
        }
        return out
    }

    /// Deterministic JSON (sorted keys, pretty printed, trailing newline).
    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try enc.encode(self) + Data("\n".utf8)
    }

    /// Largest calibration file read, bytes (the shipped ones are ~55 kB).
    public static let maxFileBytes = 16 << 20

    /// Reads a calibration file and checks its syntax (strict JSON: line and column), its keys and types
    /// (field path) and every value against its physical range (`validate`); no model check.
    public static func read(path: String) throws -> CalibrationFile {
        let data: Data
        do { data = try InputFile.read(path, limit: maxFileBytes) } catch let e as FormatError {
            throw CalibrationError(kind: e.kind == .limit ? .format : .unreadable, file: path, field: "-", reason: e.reason)
        }
        do { try StrictJSON.check(data) } catch let e as StrictJSONError {
            throw CalibrationError(kind: .format, file: path, field: "line \(e.line), column \(e.column)", reason: "not valid JSON: \(e.message)")
        }
        let file: CalibrationFile
        do {
            file = try JSONDecoder().decode(CalibrationFile.self, from: data)
        } catch let DecodingError.keyNotFound(k, ctx) {
            throw CalibrationError(kind: .format, file: path, field: Self.fieldPath(ctx.codingPath + [k]), reason: "missing")
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw CalibrationError(kind: .format, file: path, field: Self.fieldPath(ctx.codingPath),
                                   reason: "wrong type (expected \(type == Int.self ? "an integer" : type == Double.self ? "a number" : type == String.self ? "a string" : "\(type)"))")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw CalibrationError(kind: .format, file: path, field: Self.fieldPath(ctx.codingPath), reason: "is null")
        } catch let DecodingError.dataCorrupted(ctx) {
            // Foundation on Linux reports a non-integer number for an Int field as corrupt data without a path
            if ctx.codingPath.isEmpty, let field = Self.nonIntegerField(data) {
                throw CalibrationError(kind: .format, file: path, field: field, reason: "expected an integer")
            }
            throw CalibrationError(kind: .format, file: path, field: ctx.codingPath.isEmpty ? "-" : Self.fieldPath(ctx.codingPath),
                                   reason: "invalid value: \(ctx.debugDescription)")
        } catch {
            throw CalibrationError(kind: .format, file: path, field: "-", reason: "not a calibration JSON file (\(error))")
        }
        try file.validate(file: path)
        return file
    }

    /// The integer field (`version`, `devices.monteCarloInstances`) holding a number that is not an integer.
    static func nonIntegerField(_ data: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        func nonInteger(_ v: Any?) -> Bool {
            guard let n = v as? NSNumber else { return false }
            let d = n.doubleValue
            return d != d.rounded() || abs(d) > 9e15
        }
        if nonInteger(root["version"]) { return "version" }
        if nonInteger((root["devices"] as? [String: Any])?["monteCarloInstances"]) { return "devices.monteCarloInstances" }
        return nil
    }

    /// `mirror.positive[2][3]`-style path of a coding path.
    static func fieldPath(_ path: [CodingKey]) -> String {
        var out = ""
        for k in path {
            if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : ".\(k.stringValue)" }
        }
        return out.isEmpty ? "-" : out
    }

    /// Loads a calibration file (`read`) and checks it against the model files in `modelsDirectory` (and the
    /// corner, when given): a calibration made for other models or another cell library is refused.
    public static func load(path: String, modelsDirectory: String, corner: Corner? = nil) throws -> CalibrationFile {
        let file = try read(path: path)
        let have = try modelFingerprints(directory: modelsDirectory)
        for (name, sha) in have.sorted(by: { $0.key < $1.key }) where file.modelFiles[name] != sha {
            throw CalibrationError(kind: .modelMismatch, file: path, field: "modelFiles.\(name)",
                                   reason: "made for model file sha256 \(file.modelFiles[name] ?? "(none)"), but \(modelsDirectory)/\(name) has \(sha): re-run `bmru calibrate` (make calibrate) for these models")
        }
        if file.cellLibrarySHA256 != currentCellLibrarySHA256 {
            throw CalibrationError(kind: .libraryMismatch, file: path, field: "cellLibrarySHA256",
                                   reason: "made for another cell library (\(file.cellLibrarySHA256.prefix(12))…, this generator emits \(currentCellLibrarySHA256.prefix(12))…): re-run `bmru calibrate`")
        }
        if let c = corner, c.rawValue != file.corner {
            throw CalibrationError(kind: .cornerMismatch, file: path, field: "corner",
                                   reason: "made for corner \(file.corner), the deck is for \(c.rawValue)")
        }
        // a table named for a temperature (CalibrationTables) must have been measured at it
        let name = URL(fileURLWithPath: path).lastPathComponent
        if let c = Corner(rawValue: file.corner), let t = CalibrationTables.temperature(fileName: name, corner: c),
           abs(t - file.temperatureC) > 0.5 {
            throw CalibrationError(kind: .cornerMismatch, file: path, field: "temperatureC",
                                   reason: "the file name says \(t) °C, the table was measured at \(file.temperatureC) °C")
        }
        return file
    }

    /// Physical ranges of the measured values (a value outside is a damaged or hand-edited file, not a
    /// measurement of these cells):
    /// - currents (mirror grid, cell unit currents, settling): [1e-12, 1e-6] A, the subthreshold range of the
    ///   unit devices (the grids measured 0.05 ... 4 nA);
    /// - finger widths: [0.22, 10] µm, the model bins of the unit device;
    /// - mirror factors (measured gain / drawn ratio): (0.5, 2);
    /// - cell biases and measured thresholds / levels: (0, 100] units, and a measured switch-up or level
    ///   within (0.5, 2) × its bias (the cell realises its bias currents within a few %);
    /// - levelOff and leakage: [0, 1) units and [0, 1e-9] A;
    /// - settling τ: (0, 1] s; slopes n·U_T: [0.01, 0.1] V (U_T = 25.9 mV, n from 1 to ~3);
    ///   |delvto sensitivity|: [5, 200] 1/V (≈ 1/slope); A_VT: (0, 0.05] V·µm (the PDK's are ~5 mV·µm);
    ///   mismatch size offsets: |dW|, |dL| ≤ 1 µm; Monte Carlo instances 0 ... 10^7;
    /// - temperatureC [-60, 200] °C, vdd (0.5, 3.6] V (as the deck options).
    public func validate(file: String) throws {
        func bad(_ f: String, _ r: String) -> CalibrationError { CalibrationError(kind: .format, file: file, field: f, reason: r) }
        func check(_ f: String, _ x: Double, _ lo: Double, _ hi: Double, open: Bool = false, _ unit: String = "") throws {
            let inside = open ? (x > lo && x < hi) : (x >= lo && x <= hi)
            guard x.isFinite, inside else {
                throw bad(f, "is \(x)\(unit.isEmpty ? "" : " " + unit), outside the physical range \(open ? "(" : "[")\(lo), \(hi)\(open ? ")" : "]")\(unit.isEmpty ? "" : " " + unit)")
            }
        }
        func positive(_ f: String, _ x: Double, _ hi: Double, _ unit: String) throws {
            guard x.isFinite, x > 0, x <= hi else { throw bad(f, "is \(x) \(unit), outside the physical range (0, \(hi)] \(unit)") }
        }
        func ascending(_ f: String, _ xs: [Double]) throws {
            for i in 1..<max(1, xs.count) where !(xs[i - 1] < xs[i]) { throw bad("\(f)[\(i)]", "is \(xs[i]), not above \(f)[\(i - 1)] = \(xs[i - 1]) (must ascend)") }
        }
        guard format == Self.formatName else { throw bad("format", "is '\(format)', expected '\(Self.formatName)'") }
        guard version == Self.formatVersion else { throw bad("version", "is \(version), this tool reads \(Self.formatVersion)") }
        guard Corner(rawValue: corner) != nil else { throw bad("corner", "'\(corner)' is not a corner") }
        try check("temperatureC", temperatureC, -60, 200, "°C")
        guard vdd.isFinite, vdd > 0.5, vdd <= 3.6 else { throw bad("vdd", "is \(vdd) V, outside the physical range (0.5, 3.6] V") }
        for (k, v) in modelFiles.sorted(by: { $0.key < $1.key }) where !(v.count == 64 && v.allSatisfy(\.isHexDigit)) {
            throw bad("modelFiles.\(k)", "must be 64 hex digits (a sha256)")
        }
        let m = mirror
        guard m.currentsA.count >= 2 else { throw bad("mirror.currentsA", "needs ≥ 2 currents, has \(m.currentsA.count)") }
        guard m.fingerWidthsUm.count >= 2 else { throw bad("mirror.fingerWidthsUm", "needs ≥ 2 widths, has \(m.fingerWidthsUm.count)") }
        for (i, x) in m.currentsA.enumerated() { try check("mirror.currentsA[\(i)]", x, 1e-12, 1e-6, "A") }
        try ascending("mirror.currentsA", m.currentsA)
        for (i, x) in m.fingerWidthsUm.enumerated() { try check("mirror.fingerWidthsUm[\(i)]", x, 0.22, 10, "µm") }
        try ascending("mirror.fingerWidthsUm", m.fingerWidthsUm)
        for p in MirrorPath.allCases {
            let t = m.factors(p), f = "mirror.\(p.rawValue)"
            guard t.count == m.currentsA.count else { throw bad(f, "has \(t.count) rows, expected \(m.currentsA.count) (one per current)") }
            for (i, row) in t.enumerated() {
                guard row.count == m.fingerWidthsUm.count else {
                    throw bad("\(f)[\(i)]", "has \(row.count) factors, expected \(m.fingerWidthsUm.count) (one per finger width)")
                }
                for (j, x) in row.enumerated() { try check("\(f)[\(i)][\(j)]", x, 0.5, 2, open: true) }
            }
        }
        try check("mirror.leakageA", m.leakageA, 0, 1e-9, "A")
        guard !cells.isEmpty else { throw bad("cells", "needs ≥ 1 row") }
        for (k, r) in cells.enumerated() {
            try check("cells[\(k)].unitCurrentA", r.unitCurrentA, 1e-12, 1e-6, "A")
            if k > 0, !(cells[k - 1].unitCurrentA < r.unitCurrentA) {
                throw bad("cells[\(k)].unitCurrentA", "is \(r.unitCurrentA), not above cells[\(k - 1)] (unit currents must ascend)")
            }
            guard r.points.count >= 2 else { throw bad("cells[\(k)].points", "needs ≥ 2 points, has \(r.points.count)") }
            for (j, q) in r.points.enumerated() {
                let f = "cells[\(k)].points[\(j)]"
                try positive("\(f).thetaHighBias", q.thetaHighBias, 100, "units")
                try positive("\(f).widthBias", q.widthBias, 100, "units")
                try positive("\(f).levelBias", q.levelBias, 100, "units")
                try positive("\(f).switchUp", q.switchUp, 100, "units")
                try positive("\(f).switchDown", q.switchDown, 100, "units")
                try positive("\(f).levelOn", q.levelOn, 100, "units")
                try check("\(f).levelOff", q.levelOff, 0, 1, open: false, "units")
                guard q.levelOff < 1 else { throw bad("\(f).levelOff", "is \(q.levelOff) units, outside the physical range [0, 1) units") }
                let up = q.switchUp / q.thetaHighBias, lv = q.levelOn / q.levelBias
                guard up > 0.5, up < 2 else {
                    throw bad("\(f).switchUp", "is \(q.switchUp) units for a θ_high bias of \(q.thetaHighBias): a factor of \(up), outside (0.5, 2)")
                }
                guard lv > 0.5, lv < 2 else {
                    throw bad("\(f).levelOn", "is \(q.levelOn) units for a level bias of \(q.levelBias): a factor of \(lv), outside (0.5, 2)")
                }
                // equal up to rounding at zero width (the tables have switchDown − switchUp up to 1e-12)
                guard q.switchDown <= q.switchUp * 1.01 else {
                    throw bad("\(f).switchDown", "is \(q.switchDown) units, above switchUp \(q.switchUp) (the switch-down point lies below the switch-up point)")
                }
            }
        }
        for (k, p) in settling.enumerated() {
            try check("settling[\(k)].currentA", p.currentA, 1e-12, 1e-6, "A")
            try positive("settling[\(k)].tauS", p.tauS, 1, "s")
            if k > 0, !(settling[k - 1].currentA < p.currentA) {
                throw bad("settling[\(k)].currentA", "is \(p.currentA), not above settling[\(k - 1)] (currents must ascend)")
            }
        }
        let d = devices
        try check("devices.nmosSlopeV", d.nmosSlopeV, 0.01, 0.1, "V")
        try check("devices.pmosSlopeV", d.pmosSlopeV, 0.01, 0.1, "V")
        try check("devices.nmosDelvtoSensitivity", abs(d.nmosDelvtoSensitivity), 5, 200, "1/V (magnitude)")
        try check("devices.pmosDelvtoSensitivity", abs(d.pmosDelvtoSensitivity), 5, 200, "1/V (magnitude)")
        try positive("devices.nmosAVT", d.nmosAVT, 0.05, "V·µm")
        try positive("devices.pmosAVT", d.pmosAVT, 0.05, "V·µm")
        try positive("devices.nmosAVTModel", d.nmosAVTModel, 0.05, "V·µm")
        try positive("devices.pmosAVTModel", d.pmosAVTModel, 0.05, "V·µm")
        guard (0...10_000_000).contains(d.monteCarloInstances) else {
            throw bad("devices.monteCarloInstances", "is \(d.monteCarloInstances), outside 0 ... 10000000")
        }
        try check("devices.mismatchDeltaWUm", d.mismatchDeltaWUm, -1, 1, "µm")
        try check("devices.mismatchDeltaLUm", d.mismatchDeltaLUm, -1, 1, "µm")
    }
}
