// `bmru validate` (and `bmru netlist` on the same hostile networks): exit 0 for a valid file, 2 naming the
// file, the field and the reason; warnings (exit 0) for networks outside the characterised range.
import Foundation
import TestSupport
import Testing

/// The shipped example network and stimulus, and tiny.json with one text replaced.
enum TinyExample {
    static var network: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path }
    static var stimulus: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.csv").path }

    /// tiny.json with `old` replaced by `new`, written into `dir`
    static func with(_ old: String, _ new: String, in dir: String, name: String = "net.json") throws -> String {
        let text = try String(contentsOfFile: network, encoding: .utf8)
        #expect(text.contains(old))
        let p = dir + "/" + name
        try text.replacingOccurrences(of: old, with: new).write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    static func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}

@Suite("bmru validate")
struct ValidateCommandTests {
    @Test("validate: a valid file exits 0; an invalid one exits 2 naming the file, the field and the reason")
    func validate() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-validate")
        let ok = try BMRU.run(["validate", TinyExample.network])
        #expect(ok.status == 0 && ok.stdout.contains("24 parameters"), "\(ok.stderr)")
        // theta_high below theta_low in the second unit of the cell
        let bad = try TinyExample.with("\"theta_high\": [0.6, 0.7]", "\"theta_high\": [0.6, 0.2]", in: dir, name: "bad.json")
        let r = try BMRU.run(["validate", bad])
        #expect(r.status == 2)
        // the pair is inconsistent, so either member may carry the error, but it must be unit 1 of layer 1
        #expect(r.stderr.contains(bad), "\(r.stderr)")
        #expect(r.stderr.contains("layers[1].theta_high[1]") || r.stderr.contains("layers[1].theta_low[1]"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let missing = try BMRU.run(["validate", dir + "/nope.json"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.json"))
    }

    @Test("a weight of 1e19 or 1e10: validate and netlist exit 2 naming the weight (netlist trapped with SIGILL)")
    func hugeWeight() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-huge")
        for (value, name) in [("1e19", "a.json"), ("1e10", "b.json"), ("1000", "c.json")] {
            let net = try TinyExample.with("[[1.0, -0.4]", "[[\(value), -0.4]", in: dir, name: name)
            let v = try BMRU.run(["validate", net])
            #expect(v.status == 2 && v.stderr.contains(net) && v.stderr.contains("layers[0].weights[0][0]"), "\(value): \(v.stderr)")
            let before = BMRU.files(dir)
            let n = try BMRU.run(["netlist", net, "-o", dir + "/deck.sp"])
            #expect(n.status == 2 && n.stderr.contains(net) && n.stderr.contains("layers[0].weights[0][0]"), "\(value): \(n.stderr)")
            #expect(BMRU.files(dir) == before)
        }
    }

    @Test("parameters outside the trained and characterised range: exit 0, one warning per field; the bounds themselves and tiny.json: none")
    func trainedRange() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-trained-range")
        // a 4-input dense layer so that the weight field is weights[0][3]
        func network(w: Double, thetaLow: Double, thetaHigh: Double, level: Double) -> String {
            """
            {"format": "bmru-network", "version": 1, "name": "range", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 4,
             "layers": [{"name": "pre", "kind": "dense", "weights": [[1, 0.5, -0.5, \(w)]], "bias": [0]},
                        {"name": "cell", "kind": "bmru", "weights": [[1], [1]], "bias": [0, 0], "theta_low": [\(thetaLow), 0.3],
                         "theta_high": [\(thetaHigh), 0.6], "level": [\(level), 1], "initial_state": [0, 0]}]}
            """
        }
        let outside = dir + "/outside.json"
        try network(w: -4.5, thetaLow: 0.05, thetaHigh: 0.08, level: 0).write(toFile: outside, atomically: true, encoding: .utf8)
        let r = try BMRU.run(["validate", outside])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\(outside): valid"), "\(r.stdout)")
        let warnings = r.stderr.split(separator: "\n").map(String.init)
        for field in ["layers[0].weights[0][3]", "layers[1].theta_low[0]", "layers[1].theta_high[0]", "layers[1].level[0]"] {
            #expect(warnings.filter { $0.hasPrefix("warning: \(outside): \(field): ") }.count == 1, "\(field): \(r.stderr)")
        }
        #expect(warnings.count == 4, "only the four fields (unit 1 of the cell is inside): \(r.stderr)")
        #expect(r.stderr.contains("layers[1].theta_low[0]: is 0.05 units, below the characterised 0.1 units"), "\(r.stderr)")

        // the bounds themselves are inside: |w| = 4, θ = 0.1, level = 4 (and the shipped tiny network) warn about nothing
        let edge = dir + "/edge.json"
        try network(w: 4, thetaLow: 0.1, thetaHigh: 0.1, level: 4).write(toFile: edge, atomically: true, encoding: .utf8)
        for net in [edge, TinyExample.network] {
            let ok = try BMRU.run(["validate", net])
            #expect(ok.status == 0 && ok.stdout.contains("valid"), "\(ok.stderr)")
            #expect(ok.stderr.isEmpty, "\(net): \(ok.stderr)")
        }
        // errors are still errors: a negative level fails validation as before (exit 2, its field)
        let negative = dir + "/negative.json"
        try network(w: 1, thetaLow: 0.2, thetaHigh: 0.4, level: -1).write(toFile: negative, atomically: true, encoding: .utf8)
        let bad = try BMRU.run(["validate", negative])
        #expect(bad.status == 2 && bad.stderr.contains("error: ") && bad.stderr.contains("layers[1].level[0]"), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }

    @Test("outside the characterised range: a warning naming the field, exit 0; beyond the hard limit: exit 2")
    func ranges() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-range")
        let warn = try TinyExample.with("\"frame_period\": 0.01", "\"frame_period\": 1e-4", in: dir, name: "w.json")
        let v = try BMRU.run(["validate", warn])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(v.stderr.contains("warning: \(warn): frame_period:"), "\(v.stderr)")
        let n = try BMRU.run(["netlist", warn, "-o", dir + "/w.sp"])
        #expect(n.status == 0 && n.stderr.contains("warning: \(warn): frame_period:"), "\(n.stderr)")
        for (old, new, field) in [("\"frame_period\": 0.01", "\"frame_period\": 1e-9", "frame_period"),
                                  ("\"unit_current\": 1e-9", "\"unit_current\": 1e-12", "unit_current"),
                                  ("\"unit_current\": 1e-9", "\"unit_current\": 1e-3", "unit_current"),
                                  ("\"bias\": [0.1, 0.05]", "\"bias\": [0.1, 1e6]", "layers[0].bias[1]")] {
            let bad = try TinyExample.with(old, new, in: dir, name: "bad.json")
            let r = try BMRU.run(["validate", bad])
            #expect(r.status == 2 && r.stderr.contains("error: \(bad): \(field):"), "\(new): \(r.stderr)")
        }
    }
}
