// `bmru characterize activation`: the crossbar ramp-ADC activation simulated end to end, its JSON report,
// and the refusal of a bad table.
import Foundation
import TestSupport
import Testing

@Suite("bmru characterize activation", .serialized)
struct CharacterizeActivationTests {
    @Test("sigmoid at 5 bits: exit 0, every point within 1 LSB, the JSON report complete")
    func sigmoid() throws {
        let dir = try TestEnvironment.temporaryDirectory("activation")
        let json = dir + "/out/sigmoid.json"
        let r = try BMRU.run(["characterize", "activation", "--function", "sigmoid", "--bits", "5", "--points", "33", "--json", json], models: true)
        #expect(r.status == 0, "exit \(r.status): \(r.stderr)\n\(r.stdout)")
        #expect(r.stdout.contains("[-6.0, 6.0] (default range)"), "\(r.stdout)")
        #expect(r.stdout.contains("PASS"))
        #expect(r.stderr.contains("characterize activation:"), "progress on stderr: \(r.stderr)")
        let data = try #require(FileManager.default.contents(atPath: json))
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(obj["function"] as? String == "sigmoid")
        #expect(obj["bits"] as? Int == 5)
        #expect(obj["pass"] as? Bool == true)
        let maxErr = try #require(obj["max_error_lsb"] as? Double)
        #expect(maxErr <= 1)
        #expect((obj["rms_error_lsb"] as? Double).map { $0 <= maxErr } == true)
        #expect(obj["code_mismatches"] is Int)
        let points = try #require(obj["points"] as? [[String: Any]])
        #expect(points.count == 33)
        #expect(points.first?["x"] as? Double == -6 && points.last?["x"] as? Double == 6)
        for p in points {
            for key in ["x", "simulated_code", "ideal_code", "f", "simulated_value", "error_lsb"] { #expect(p[key] != nil, "point lacks \(key)") }
        }
        let steps = try #require(obj["steps"] as? [[String: Any]])
        #expect(steps.count == 31)
        #expect(steps.allSatisfy { ($0["conductance"] as? Double).map { $0 >= 1e-6 && $0 <= 100e-6 } == true })
        #expect((obj["thresholds"] as? [Double])?.count == 31)
        #expect((obj["realised_thresholds"] as? [Double])?.count == 31)
    }

    @Test("memristors rounded to 16 conductance levels: tanh misses 1 LSB, exit 1 with the report still written")
    func coarseLevelsFail() throws {
        let dir = try TestEnvironment.temporaryDirectory("activation-levels")
        let json = dir + "/tanh.json"
        let r = try BMRU.run(["characterize", "activation", "--function", "tanh", "--bits", "5", "--points", "33", "--levels", "16",
                              "--out", json], models: true)
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
        #expect(r.stdout.contains("FAIL"))
        let data = try #require(FileManager.default.contents(atPath: json))
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(obj["pass"] as? Bool == false)
        #expect(obj["quantization_levels"] as? Int == 16)
        #expect((obj["max_error_lsb"] as? Double).map { $0 > 1 } == true)
    }

    @Test("a bad table CSV: exit 2, the message names the file, the line and the reason")
    func badTable() throws {
        let dir = try TestEnvironment.temporaryDirectory("activation-bad")
        let csv = dir + "/f.csv"
        try "x,y\n0,0\n1,0.5\n2,0.25\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let r = try BMRU.run(["characterize", "activation", "--function", csv, "--bits", "4"], models: true)
        #expect(r.status == 2)
        #expect(r.stderr.contains(csv) && r.stderr.contains("line 4") && r.stderr.contains("must not decrease"), "\(r.stderr)")
        let text = dir + "/g.csv"
        try "0,0\n1,one\n".write(toFile: text, atomically: true, encoding: .utf8)
        let t = try BMRU.run(["characterize", "activation", "--function", text], models: true)
        #expect(t.status == 2)
        #expect(t.stderr.contains(text) && t.stderr.contains("line 2"), "\(t.stderr)")
        let name = try BMRU.run(["characterize", "activation", "--function", "softplus"], models: true)
        #expect(name.status == 2 && name.stderr.contains("softplus"), "\(name.stderr)")
    }
}
