// `bmru validate` and `bmru model` on crossbar-rnn-network files.
import Foundation
import TestSupport
import Testing

@Suite("bmru validate / model: crossbar networks")
struct CrossbarCommandTests {
    static var network: String { TestEnvironment.packageRoot.appendingPathComponent("examples/crossbar-tiny.json").path }
    static var stimulus: String { TestEnvironment.packageRoot.appendingPathComponent("examples/crossbar-tiny.csv").path }

    @Test("validate: the example is valid; a bad field exits 2 naming file and field")
    func validate() throws {
        let ok = try BMRU.run(["validate", Self.network])
        #expect(ok.status == 0 && ok.stdout.contains("crossbar-rnn-network") && ok.stdout.contains("22 parameters"), "\(ok.stderr)")
        let dir = try TestEnvironment.temporaryDirectory("cli-xbar-validate")
        let text = try String(contentsOfFile: Self.network, encoding: .utf8)
        #expect(text.contains("\"adc_bits\": 5"))
        let bad = dir + "/bad.json"
        try text.replacingOccurrences(of: "\"adc_bits\": 5", with: "\"adc_bits\": 12").write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try BMRU.run(["validate", bad])
        #expect(r.status == 2 && r.stderr.contains(bad) && r.stderr.contains("layers[0].adc_bits") && r.stdout.isEmpty, "\(r.stderr)")
    }

    @Test("model: codes and outputs agree with the ADC levels (tanh(−3) + code·2·tanh(3)/31); ideal differs by under half an LSB")
    func model() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-xbar-model")
        let q = try BMRU.run(["model", Self.network, "--input", Self.stimulus, "-o", dir + "/q.csv", "--states", dir + "/c.csv"])
        #expect(q.status == 0 && q.stderr.isEmpty, "\(q.stderr)")
        let i = try BMRU.run(["model", Self.network, "--input", Self.stimulus, "-o", dir + "/i.csv", "--activation", "ideal"])
        #expect(i.status == 0, "\(i.stderr)")
        let outs = try TinyExample.rows(dir + "/q.csv"), codes = try TinyExample.rows(dir + "/c.csv"), ideal = try TinyExample.rows(dir + "/i.csv")
        #expect(outs[0] == ["frame", "rnn.0", "rnn.1", "rnn.2", "out.0"] && codes[0] == outs[0] && outs.count == 31)
        let lsbTanh = 2 * tanh(3.0) / 31, lsbOut = 6.0 / 31
        for t in 1..<outs.count {
            for u in 1...3 {
                let c = Double(codes[t][u])!
                #expect(abs(Double(outs[t][u])! - (-tanh(3.0) + c * lsbTanh)) < 1e-12)
            }
            #expect(abs(Double(outs[t][4])! - (-3 + Double(codes[t][4])! * lsbOut)) < 1e-12)
        }
        // frame 0 has no recurrence: the quantized and ideal first layer differ by the rounding only
        for u in 1...3 { #expect(abs(Double(outs[1][u])! - Double(ideal[1][u])!) <= lsbTanh / 2 + 1e-12) }
    }

    @Test("model: inputs outside input_range are reported; --circuit-aware is refused with exit 2")
    func outsideAndRefused() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-xbar-range")
        try "x0,x1\n0.5,0.5\n2.5,-0.1\n".write(toFile: dir + "/s.csv", atomically: true, encoding: .utf8)
        let r = try BMRU.run(["model", Self.network, "--input", dir + "/s.csv", "-o", dir + "/o.csv"])
        #expect(r.status == 0 && r.stderr.contains("1 input values outside") && r.stderr.contains("frame 1, input 0: 2.5"), "\(r.stderr)")
        let ca = try BMRU.run(["model", Self.network, "--input", dir + "/s.csv", "-o", dir + "/ca.csv", "--circuit-aware"])
        #expect(ca.status == 2 && ca.stderr.contains("--circuit-aware") && !FileManager.default.fileExists(atPath: dir + "/ca.csv"), "\(ca.stderr)")
    }
}
