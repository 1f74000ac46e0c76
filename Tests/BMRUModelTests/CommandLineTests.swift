import BMRUModel
import Foundation
import TestSupport
import Testing

/// The network-format commands as a user runs them: `bmru validate`, `model`, `stimulus`, `import`. Exit status
/// 0 with the right files, or 2 with the file, field and reason named and nothing written.
@Suite("bmru validate / model / stimulus / import")
struct CommandLineTests {
    static var tiny: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path }
    static var tinyCSV: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.csv").path }

    func bmru(_ args: [String]) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args)
    }

    static func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test("validate: a valid file exits 0; an invalid one exits 2 naming the file, the field and the reason")
    func validate() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-validate")
        let ok = try bmru(["validate", Self.tiny])
        #expect(ok.status == 0 && ok.stdout.contains("24 parameters"), "\(ok.stderr)")
        // theta_high below theta_low in the second unit of the cell
        let text = try String(contentsOfFile: Self.tiny, encoding: .utf8)
            .replacingOccurrences(of: "\"theta_high\": [0.6, 0.7]", with: "\"theta_high\": [0.6, 0.2]")
        let bad = dir + "/bad.json"
        try text.write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try bmru(["validate", bad])
        #expect(r.status == 2)
        // the pair is inconsistent, so either member may carry the error, but it must be unit 1 of layer 1
        #expect(r.stderr.contains(bad), "\(r.stderr)")
        #expect(r.stderr.contains("layers[1].theta_high[1]") || r.stderr.contains("layers[1].theta_low[1]"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let missing = try bmru(["validate", dir + "/nope.json"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.json"))
    }

    @Test("model: the CSV follows an independent re-computation of the tiny network; bad input writes nothing")
    func model() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-model")
        let out = dir + "/out.csv", states = dir + "/states.csv"
        let r = try bmru(["model", Self.tiny, "--input", Self.tinyCSV, "-o", out, "--states", states])
        #expect(r.status == 0, "\(r.stderr)")

        // the tiny network by hand (examples/tiny.json): relu dense, one FQ-BMRU cell, identity dense
        let x = try Self.rows(Self.tinyCSV).dropFirst().map { $0.map { Double($0)! } }
        let w1 = [[1.0, -0.4], [0.3, 0.9]], b1 = [0.1, 0.05]
        let wc = [[1.0, 0.2], [0.1, 1.0]], lo = [0.3, 0.35], hi = [0.6, 0.7], level = [1.0, 0.8]
        let w2 = [[1.0, -0.6], [-0.5, 1.0]], b2 = [0.2, 0.1]
        var s = [0, 1]
        var expected: [[Double]] = [], expectedStates: [[Int]] = []
        for row in x {
            let h = (0..<2).map { i in max(0, w1[i][0] * row[0] + w1[i][1] * row[1] + b1[i]) }
            for i in 0..<2 {
                let c = max(0, wc[i][0] * h[0] + wc[i][1] * h[1])
                if c > hi[i] { s[i] = 1 } else if c < lo[i] { s[i] = 0 }
            }
            let o = s.indices.map { Double(s[$0]) * level[$0] }
            let y = (0..<2).map { i in w2[i][0] * o[0] + w2[i][1] * o[1] + b2[i] }
            expected.append(h + o + y)
            expectedStates.append(s)
        }
        let got = try Self.rows(out)
        #expect(got.first == ["frame", "pre.0", "pre.1", "cell.0", "cell.1", "out.0", "out.1"])
        #expect(got.count == expected.count + 1)
        for (t, row) in got.dropFirst().enumerated() where t < expected.count {
            let values = row.dropFirst().map { Double($0)! }
            #expect(zip(values, expected[t]).allSatisfy { abs($0 - $1) < 1e-12 }, "frame \(t): \(values) vs \(expected[t])")
        }
        #expect(try Self.rows(states).dropFirst().map { $0.dropFirst().map { Int($0)! } } == expectedStates)
        // the hand-worked sequence does switch both ways, so the comparison checks the hysteresis
        #expect(Set(expectedStates.map { $0[0] }) == [0, 1] && Set(expectedStates.map { $0[1] }) == [0, 1])

        // a stimulus with three columns for a two-input network: exit 2, the file named, no output
        let bad = dir + "/three.csv"
        try "a,b,c\n1,2,3\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let out2 = dir + "/out2.csv"
        let e = try bmru(["model", Self.tiny, "--input", bad, "-o", out2])
        #expect(e.status == 2 && e.stderr.contains("three.csv"), "\(e.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out2))
    }

    @Test("stimulus: the same seed gives the same file; zeros at the asked density; values in (0, 1]")
    func stimulus() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-stimulus")
        for name in ["a.csv", "b.csv"] {
            let r = try bmru(["stimulus", "--inputs", "13", "--frames", "1000", "--seed", "42", "--density", "0.3", "-o", dir + "/" + name])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.csv")), b = try Data(contentsOf: URL(fileURLWithPath: dir + "/b.csv"))
        #expect(a == b)
        let values = try Self.rows(dir + "/a.csv").dropFirst().flatMap { $0.map { Double($0)! } }
        #expect(values.count == 13_000)
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        // 13 000 Bernoulli(0.3) draws: σ of the fraction is 0.004; ±0.02 is five σ
        let zeros = Double(values.filter { $0 == 0 }.count) / Double(values.count)
        #expect(abs(zeros - 0.3) < 0.02, "zero fraction \(zeros)")
        let r = try bmru(["stimulus", "--inputs", "13", "--frames", "1000", "--seed", "43", "--density", "0.3", "-o", dir + "/c.csv"])
        #expect(r.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/c.csv")) != a)
        let bad = try bmru(["stimulus", "--inputs", "13", "--frames", "10", "--density", "1.5", "-o", dir + "/d.csv"])
        #expect(bad.status == 2 && bad.stderr.contains("density"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/d.csv"))
    }

    /// A safetensors file written by hand: little-endian u64 header length, JSON header, F64 data.
    static func safetensors(_ tensors: [(String, [Int], [Double])]) -> Data {
        var header: [String] = []
        var body = Data()
        for (name, shape, values) in tensors {
            let start = body.count
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            header.append("\"\(name)\":{\"dtype\":\"F64\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(start),\(body.count)]}")
        }
        let json = Data(("{" + header.joined(separator: ",") + "}").utf8)
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + body
    }

    @Test("import: tensors of the tiny network give back the tiny network; a missing tensor writes nothing")
    func importTensors() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-import")
        let arch = """
            {"format": "bmru-network", "version": 1, "name": "tiny", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 2,
             "layers": [{"name": "pre", "kind": "dense", "activation": "relu"}, {"name": "cell", "kind": "bmru"},
                        {"name": "out", "kind": "dense", "activation": "identity"}]}
            """
        try arch.write(toFile: dir + "/arch.json", atomically: true, encoding: .utf8)
        var tensors: [(String, [Int], [Double])] = [
            ("pre.weight", [2, 2], [1.0, -0.4, 0.3, 0.9]), ("pre.bias", [2], [0.1, 0.05]),
            ("cell.weight", [2, 2], [1.0, 0.2, 0.1, 1.0]), ("cell.bias", [2], [0, 0]),
            ("cell.theta_low", [2], [0.3, 0.35]), ("cell.theta_high", [2], [0.6, 0.7]), ("cell.level", [2], [1.0, 0.8]),
            ("cell.initial_state", [2], [0, 1]),
            ("out.weight", [2, 2], [1.0, -0.6, -0.5, 1.0]), ("out.bias", [2], [0.2, 0.1]),
        ]
        try Self.safetensors(tensors).write(to: URL(fileURLWithPath: dir + "/t.safetensors"))
        let r = try bmru(["import", "--arch", dir + "/arch.json", "--tensors", dir + "/t.safetensors", "-o", dir + "/net.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let imported = try NetworkFile.load(path: dir + "/net.json")
        let shipped = try NetworkFile.load(path: Self.tiny)
        #expect(imported.layers == shipped.layers)
        #expect(imported.inputs == 2 && imported.unitCurrent == 1e-9)

        // without cell.level: exit 2 naming the tensor, and no network file
        tensors.removeAll { $0.0 == "cell.level" }
        try Self.safetensors(tensors).write(to: URL(fileURLWithPath: dir + "/short.safetensors"))
        let e = try bmru(["import", "--arch", dir + "/arch.json", "--tensors", dir + "/short.safetensors", "-o", dir + "/net2.json"])
        #expect(e.status == 2 && e.stderr.contains("cell.level"), "\(e.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/net2.json"))
    }
}
