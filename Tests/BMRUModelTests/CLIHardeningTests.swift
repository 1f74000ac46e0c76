import BMRUModel
import Foundation
import TestSupport
import Testing

/// The hostile-input review, as a user meets it: exit status 2, the file and the field named, nothing written;
/// warnings (exit 0) for networks outside the characterised range.
@Suite("bmru: hostile inputs")
struct CLIHardeningTests {
    static var tiny: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path }

    func bmru(_ args: [String], cwd: String? = nil) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args, cwd: cwd)
    }

    /// tiny.json with one text replaced, written into `dir`
    func tinyWith(_ old: String, _ new: String, in dir: String, name: String = "net.json") throws -> String {
        let text = try String(contentsOfFile: Self.tiny, encoding: .utf8)
        #expect(text.contains(old))
        let p = dir + "/" + name
        try text.replacingOccurrences(of: old, with: new).write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func files(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    @Test("a weight of 1e19 or 1e10: validate and netlist exit 2 naming the weight (netlist trapped with SIGILL)")
    func hugeWeight() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-huge")
        for (value, name) in [("1e19", "a.json"), ("1e10", "b.json"), ("1000", "c.json")] {
            let net = try tinyWith("[[1.0, -0.4]", "[[\(value), -0.4]", in: dir, name: name)
            let v = try bmru(["validate", net])
            #expect(v.status == 2 && v.stderr.contains(net) && v.stderr.contains("layers[0].weights[0][0]"), "\(value): \(v.stderr)")
            let before = files(dir)
            let n = try bmru(["netlist", net, "-o", dir + "/deck.sp"])
            #expect(n.status == 2 && n.stderr.contains(net) && n.stderr.contains("layers[0].weights[0][0]"), "\(value): \(n.stderr)")
            #expect(files(dir) == before)
        }
    }

    @Test("outside the characterised range: a warning naming the field, exit 0; beyond the hard limit: exit 2")
    func ranges() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-range")
        let warn = try tinyWith("\"frame_period\": 0.01", "\"frame_period\": 1e-4", in: dir, name: "w.json")
        let v = try bmru(["validate", warn])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(v.stderr.contains("warning: \(warn): frame_period:"), "\(v.stderr)")
        let n = try bmru(["netlist", warn, "-o", dir + "/w.sp"])
        #expect(n.status == 0 && n.stderr.contains("warning: \(warn): frame_period:"), "\(n.stderr)")
        for (old, new, field) in [("\"frame_period\": 0.01", "\"frame_period\": 1e-9", "frame_period"),
                                  ("\"unit_current\": 1e-9", "\"unit_current\": 1e-12", "unit_current"),
                                  ("\"unit_current\": 1e-9", "\"unit_current\": 1e-3", "unit_current"),
                                  ("\"bias\": [0.1, 0.05]", "\"bias\": [0.1, 1e6]", "layers[0].bias[1]")] {
            let bad = try tinyWith(old, new, in: dir, name: "bad.json")
            let r = try bmru(["validate", bad])
            #expect(r.status == 2 && r.stderr.contains("error: \(bad): \(field):"), "\(new): \(r.stderr)")
        }
    }

    @Test("stimulus: 0x10, 1e308 and a header without rows are refused naming the stimulus file, line and column")
    func stimulus() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-stim")
        for (text, field) in [("a,b\n0x10,0\n", "line 2, column 1"), ("a,b\n0,1e308\n", "line 2, column 2"), ("a,b\n", "no frames")] {
            let stim = dir + "/s.csv"
            try text.write(toFile: stim, atomically: true, encoding: .utf8)
            let m = try bmru(["model", Self.tiny, "--input", stim, "-o", dir + "/out.csv"])
            #expect(m.status == 2 && m.stderr.contains(stim) && m.stderr.contains(field), "\(text): \(m.stderr)")
            // cosim names the stimulus, not the network, and simulates nothing
            let c = try bmru(["cosim", Self.tiny, "--input", stim, "--out", dir + "/cosim"])
            #expect(c.status == 2 && c.stderr.contains(stim) && c.stderr.contains(field), "\(text): \(c.stderr)")
            #expect(!c.stderr.contains(Self.tiny))
            #expect(files(dir) == ["s.csv"])
        }
    }

    @Test("kws features: a 1 Hz WAV and a 10-sample WAV are refused with the field; nothing written")
    func wav() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-wav")
        func u16(_ v: Int) -> Data { withUnsafeBytes(of: UInt16(v).littleEndian) { Data($0) } }
        func u32(_ v: Int) -> Data { withUnsafeBytes(of: UInt32(v).littleEndian) { Data($0) } }
        func wav(rate: Int, samples: Int) -> Data {
            var d = Data("RIFF".utf8) + u32(36 + 2 * samples) + Data("WAVEfmt ".utf8) + u32(16) + u16(1) + u16(1)
            d += u32(rate) + u32(2 * rate) + u16(2) + u16(16) + Data("data".utf8) + u32(2 * samples) + Data(count: 2 * samples)
            return d
        }
        for (data, field) in [(wav(rate: 1, samples: 100), "fmt.sample_rate"), (wav(rate: 16000, samples: 10), "data.size")] {
            let clip = dir + "/c.wav"
            try data.write(to: URL(fileURLWithPath: clip))
            let start = Date()
            let r = try bmru(["kws", "features", clip, "-o", dir + "/f.csv"])
            #expect(Date().timeIntervalSince(start) < 10)
            #expect(r.status == 2 && r.stderr.contains(clip) && r.stderr.contains(field), "\(field): \(r.stderr)")
            #expect(files(dir) == ["c.wav"])
        }
    }
}
