import BMRUModel
import Foundation
import TestSupport
import Testing

/// Hostile-input review: decimal-only stimulus numbers, bounded magnitudes, zero frames, saturating conversions.
@Suite("input hardening: numbers, magnitudes, empty stimuli")
struct InputHardeningTests {
    @Test("decimal text: sign, digits, fraction, exponent; nothing else")
    func decimalText() {
        let good: [(String, Double)] = [("1", 1), ("-1.5e-3", -0.0015), ("+2", 2), (".5", 0.5), ("3.", 3), ("1E5", 100_000),
                                        ("0", 0), ("-0.0", 0), ("007", 7), ("2.5e+2", 250)]
        for (t, v) in good { #expect(DecimalText.parse(t) == v, "\(t)") }
        for t in ["0x10", "0X1p3", "inf", "-inf", "nan", "NaN", "Infinity", "1e", "e5", "", "-", "+", ".", "1_000", " 1", "1 ",
                  "1.2.3", "--1", "1e5.5", "١", "1,5"] {
            #expect(DecimalText.parse(t) == nil, "\(t) was accepted")
        }
        // decimal but beyond Double: reads as infinity, for the caller's range check
        #expect(DecimalText.parse("1e999") == .infinity)
    }

    @Test("Int(saturating:) never traps")
    func saturating() {
        #expect(Int(saturating: 1e19) == Int.max)
        #expect(Int(saturating: -1e19) == Int.min)
        #expect(Int(saturating: .infinity) == Int.max)
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: 2.9) == 2)
        #expect(Int(saturating: -2.9) == -2)
        #expect(Int(saturating: 9_007_199_254_740_992) == 9_007_199_254_740_992)
    }

    func parse(_ text: String, inputs: Int? = nil) throws -> Stimulus {
        try StimulusFile.parse(Data(text.utf8), file: "s.csv", inputs: inputs)
    }

    func expectError(_ text: String, field: String, _ words: String, kind: FormatError.Kind? = nil) {
        #expect {
            _ = try parse(text)
        } throws: { e in
            guard let e = e as? FormatError else { return false }
            return e.file == "s.csv" && e.field == field && e.reason.contains(words) && (kind == nil || e.kind == kind)
        }
    }

    @Test("stimulus CSV: hex, inf, nan and out-of-range numbers are refused with line and column")
    func stimulusNumbers() throws {
        expectError("a,b\n1,0x10\n", field: "line 2, column 2", "not a decimal number", kind: .syntax)
        expectError("a,b\n1,2\ninf,1\n", field: "line 3, column 1", "not a decimal number")
        expectError("a\nnan\n", field: "line 2, column 1", "not a decimal number")
        expectError("a\n-Infinity\n", field: "line 2, column 1", "not a decimal number")
        expectError("a,b\n1,1e308\n", field: "line 2, column 2", "outside the input range")
        expectError("a\n1e999\n", field: "line 2, column 1", "outside the input range")
        expectError("a\n-1000.0001\n", field: "line 2, column 1", "outside the input range")
        // the frame index column must be a number too, but it is not an input: any size
        expectError("frame,a\n0x1,1\n", field: "line 2, column 1", "not a decimal number")
        #expect(try parse("frame,a\n123456,1000\n").frames == [[1000]])
        // a header that looks hexadecimal is a header, not numbers
        #expect(try parse("0x10\n1\n").frames == [[1]])
    }

    @Test("stimulus CSV: a header without rows is zero frames, an error")
    func zeroFrames() {
        expectError("a,b\n", field: "line 2", "no frames", kind: .value)
        expectError("a,b\n\n  \n", field: "line 2", "no frames")
        expectError("frame,a\r\n", field: "line 2", "no frames")
    }

    @Test("network files: a value beyond ±1e6 units is refused (a weight of 1e19 crashed the emitter)")
    func magnitudes() throws {
        let tiny = TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path
        let text = try String(contentsOfFile: tiny, encoding: .utf8)
        for (value, refused) in [("1e19", true), ("1e10", true), ("1000001", true), ("-1e300", true), ("1000000", false), ("-999999", false)] {
            let bad = text.replacingOccurrences(of: "[1.0, -0.4]", with: "[\(value), -0.4]")
            #expect(bad != text)
            let n = try NetworkFile.decodeStructure(Data(bad.utf8), file: "n.json")
            let p = NetworkFile.validate(n, file: "n.json")
            if refused {
                #expect(p.count == 1 && p[0].field == "layers[0].weights[0][0]" && p[0].kind == .limit, "\(value): \(p)")
            } else {
                #expect(p.isEmpty, "\(value): \(p)")
            }
        }
        let bias = text.replacingOccurrences(of: "\"bias\": [0.1, 0.05]", with: "\"bias\": [0.1, 2e6]")
        #expect(bias != text)
        let p = NetworkFile.validate(try NetworkFile.decodeStructure(Data(bias.utf8), file: "n.json"), file: "n.json")
        #expect(p.map(\.field) == ["layers[0].bias[1]"])
    }
}
