import BMRUModel
import Foundation
import Netlist
import TestSupport
import Testing

/// The operating range (hard limits and characterised range), the finger count of absurd weights, and the
/// calibration file's syntax and value checks. Expected values are worked by hand from the documented bounds.
@Suite("Operating range and calibration checks")
struct OperatingRangeTests {
    func options() -> DeckOptions {
        DeckOptions(modelsDirectory: "models/gf180mcu", networkSHA256: String(repeating: "ab", count: 32), rawPath: "x.raw")
    }

    /// 1 input -> dense relu 1 -> bmru 1: one of each parameter kind.
    func net(w: Double = 1, bias: Double = 0.1, thetaLow: Double = 0.3, thetaHigh: Double = 0.5, level: Double = 1,
             iu: Double = 1e-9, T: Double = 0.01) -> Network {
        Network(name: "r", unitCurrent: iu, framePeriod: T, inputs: 1, layers: [
            Layer(name: "a", kind: .dense, weights: [[w]], bias: [bias]),
            Layer(name: "c", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [thetaLow], thetaHigh: [thetaHigh], level: [level]),
        ])
    }

    func findings(_ n: Network, _ s: Stimulus? = nil) -> [String] {
        OperatingRange.gf180mcu.check(n, stimulus: s).map { "\($0.severity.rawValue) \($0.field)" }
    }

    @Test("finger counts: m = ⌈|w|·7.836/7.918⌉ (an 8 µm finger against the 2-finger reference); no value traps")
    func fingers() {
        // effective widths: one 8 µm finger 8 − 0.082 = 7.918 µm, the reference 2 · (4 − 0.082) = 7.836 µm
        #expect(OperatingRange.fingerCount(0.5) == 1)
        #expect(OperatingRange.fingerCount(1.01) == 1)       // 0.9995
        #expect(OperatingRange.fingerCount(1.02) == 2)       // 1.0094
        #expect(OperatingRange.fingerCount(3) == 3)          // 2.969
        #expect(OperatingRange.fingerCount(256) == 254)      // 253.35
        #expect(OperatingRange.fingerCount(258) == 256)      // 255.33
        #expect(OperatingRange.fingerCount(259) == 257)      // 256.32
        #expect(abs(OperatingRange.fingerCount(1e19) / 9.8964e18 - 1) < 1e-4)
        #expect(WeightRealization.realize(3).fingers == 3)
        for w in [1e10, 1e19, 1e300, Double.greatestFiniteMagnitude, -1e19] {
            let r = WeightRealization.realize(w)   // trapped with "Double value cannot be converted to Int" at 1e19
            #expect(r.fingers >= 1)
        }
    }

    @Test("the shipped operating point (1 nA, 10 ms, |w| ≤ 4) is inside the characterised range")
    func inside() {
        #expect(findings(net()).isEmpty)
        #expect(findings(net(w: -4, bias: -4, thetaLow: 2, thetaHigh: 4, level: 4, iu: 3e-9)).isEmpty)
    }

    @Test("unit current: error outside [1e-11, 1e-6] A, warning outside the cell grid's [1e-10, 3e-9] A")
    func unitCurrent() {
        #expect(findings(net(iu: 1e-12)) == ["error unit_current"])
        #expect(findings(net(iu: 1e-3)).first == "error unit_current")
        #expect(findings(net(iu: 5e-11, T: 1)) == ["warning unit_current"])
        #expect(findings(net(iu: 1e-8, T: 0.01)) == ["warning unit_current"])
        #expect(findings(net(iu: 1e-10, T: 0.05)).isEmpty)
    }

    @Test("frame period against the settling time τ = 1.2e-14 A·s / I: error below 5 τ, warning below 100 τ")
    func framePeriod() {
        // I = 1 nA: τ = 12 µs, 5 τ = 60 µs, 100 τ = 1.2 ms
        #expect(findings(net(T: 1e-9)) == ["error frame_period"])
        #expect(findings(net(T: 5.9e-5)) == ["error frame_period"])
        #expect(findings(net(T: 1e-4)) == ["warning frame_period"])
        #expect(findings(net(T: 1.1e-3)) == ["warning frame_period"])
        #expect(findings(net(T: 1.3e-3)).isEmpty)
        // I = 0.1 nA: τ = 120 µs, so 1e-4 s is less than one time constant
        #expect(findings(net(iu: 1e-10, T: 1e-4)) == ["error frame_period"])
        #expect(findings(net(T: 2)) == ["warning frame_period"])
        #expect(findings(net(T: 101)) == ["error frame_period"])
    }

    @Test("weights: warning above 4 fingers, error above 256; currents: error above 1 µA, warning above 4 units")
    func parameters() {
        #expect(findings(net(w: 4.5)) == ["warning layers[0].weights[0][0]"])
        #expect(findings(net(w: -258)) == ["warning layers[0].weights[0][0]"])
        #expect(findings(net(w: 259)) == ["error layers[0].weights[0][0]"])
        #expect(findings(net(w: 1e3)) == ["error layers[0].weights[0][0]"])
        #expect(findings(net(w: 1e10)) == ["error layers[0].weights[0][0]"])
        // 1e6 units × 1 nA = 1 mA
        #expect(findings(net(bias: 1e6)) == ["error layers[0].bias[0]"])
        // 1000 units × 1 nA = 1 µA: the limit itself is allowed (a warning)
        #expect(findings(net(bias: -1000)) == ["warning layers[0].bias[0]"])
        #expect(findings(net(bias: 5)) == ["warning layers[0].bias[0]"])
        #expect(findings(net(thetaLow: 4, thetaHigh: 6)) == ["warning layers[1].theta_high[0]"])
        #expect(findings(net(thetaLow: 0.5, thetaHigh: 3)) == ["warning layers[1].theta_low[0]"])   // width 2.5 > 2
        #expect(findings(net(level: 2000)) == ["error layers[1].level[0]"])
        // inputs: 2000 units × 1 nA = 2 µA
        let s = Stimulus(frames: [[0.5], [2000]], inputs: 1)
        #expect(findings(net(), s) == ["error stimulus.frames[1][0]"])
    }

    @Test("the emitter refuses what cannot be built (second guard), with the field; no trap on 1e19")
    func emitterGuard() throws {
        for (n, field) in [(net(w: 1e19), "layers[0].weights[0][0]"), (net(w: 1e10), "layers[0].weights[0][0]"),
                           (net(iu: 1e-12), "unit_current"), (net(T: 1e-9), "frame_period"), (net(bias: 1e6), "layers[0].bias[0]")] {
            #expect {
                _ = try DeckEmitter.emit(network: n, stimulus: nil, options: options())
            } throws: { e in (e as? NetlistError)?.field == field }
        }
        #expect {
            _ = try DeckEmitter.emit(network: net(), stimulus: Stimulus(frames: [], inputs: 1), options: options())
        } throws: { e in (e as? NetlistError).map { $0.kind == .invalidStimulus && $0.field == "stimulus" } ?? false }
        // a warning-only network is emitted
        _ = try DeckEmitter.emit(network: net(w: 10), stimulus: nil, options: options())
    }

    // MARK: - calibration files

    static var typical: String { TestEnvironment.packageRoot.appendingPathComponent("models/calibration/typical.json").path }

    func write(_ text: String) throws -> String {
        let dir = try TestEnvironment.temporaryDirectory("calib-check")
        let p = dir + "/cal.json"
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func refused(_ text: String) throws -> CalibrationError? {
        let p = try write(text)
        do { _ = try CalibrationFile.read(path: p); return nil } catch let e as CalibrationError { return e }
    }

    @Test("the committed calibration files pass every range check")
    func committed() throws {
        for c in Corner.allCases {
            let p = TestEnvironment.packageRoot.appendingPathComponent("models/calibration/\(c.rawValue).json").path
            _ = try CalibrationFile.read(path: p)
        }
    }

    @Test("calibration: an absurd measured value is refused with its field path")
    func calibrationValues() throws {
        let text = try String(contentsOfFile: Self.typical, encoding: .utf8)
        // the first cell point's switch-up (first occurrence in the file: cells[0].points[0])
        let firstUp = "\"switchUp\" : 0.09794967161902358"
        #expect(text.contains(firstUp))
        let cases: [(String, String, String)] = [
            (firstUp, "\"switchUp\" : 1e300", "cells[0].points[0].switchUp"),
            (firstUp, "\"switchUp\" : -1", "cells[0].points[0].switchUp"),
            (firstUp, "\"switchUp\" : 0.3", "cells[0].points[0].switchUp"),       // 3 × its 0.1 bias
            ("\"leakageA\" : 1.3380445411455292e-13", "\"leakageA\" : 1", "mirror.leakageA"),
            ("\"tauS\" : 0.00022953423974363552", "\"tauS\" : 1e9", "settling[0].tauS"),
            ("\"vdd\" : 1.8", "\"vdd\" : 1e300", "vdd"),
            ("\"nmosAVT\" : 0.0051295012358179345", "\"nmosAVT\" : 5", "devices.nmosAVT"),
            ("\"version\" : 1", "\"version\" : 1.5", "version"),
            ("\"corner\" : \"typical\"", "\"corner\" : 3", "corner"),
        ]
        for (old, new, field) in cases {
            #expect(text.contains(old), "\(old)")
            let e = try refused(text.replacingOccurrences(of: old, with: new))
            #expect(e?.field == field, "\(new): \(String(describing: e))")
            #expect(e?.kind == .format)
        }
        let e = try refused(text.replacingOccurrences(of: "\"mirror\" :", with: "\"mirror_\" :"))
        #expect(e?.field == "mirror" && e?.reason == "missing", "\(String(describing: e))")
    }

    @Test("calibration: JSON syntax errors (NaN, truncation, a trailing comma) give line and column")
    func calibrationSyntax() throws {
        let text = try String(contentsOfFile: Self.typical, encoding: .utf8)
        // NaN in place of the first switch-up: its line is counted here, the value starts after `"switchUp" : `
        let firstUp = "\"switchUp\" : 0.09794967161902358"
        let at = try #require(text.range(of: firstUp))
        let before = text[..<at.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let column = before.distance(from: before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex, to: before.endIndex)
            + "\"switchUp\" : ".count + 1
        let nan = try refused(text.replacingOccurrences(of: firstUp, with: "\"switchUp\" : NaN"))
        #expect(nan?.field == "line \(line), column \(column)", "\(String(describing: nan))")
        // a file cut after its second line: the error is on line 3 (the end), nothing is read
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let cut = try refused(lines.prefix(2).joined(separator: "\n") + "\n")
        #expect(cut?.field.hasPrefix("line 3, column ") == true, "\(String(describing: cut))")
        let comma = try refused("{\"format\": \"bmru-calibration\",}\n")
        #expect(comma?.field == "line 1, column 31", "\(String(describing: comma))")
    }
}
