import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

/// YAML manifests that would exhaust memory or stack in the YAML library, refused before it expands anything;
/// zero-frame co-simulations refused.
@Suite("manifest and co-simulation input hardening")
struct ManifestHardeningTests {
    func refusal(_ text: String, file: String = "m.yaml") -> BatchError? {
        do { _ = try BatchManifest.parse(Data(text.utf8), file: file); return nil } catch let e as BatchError { return e } catch { return nil }
    }

    /// Billion laughs: 9 levels of 9 aliases each expand to 9^9 ≈ 3.9e8 strings.
    static var laughs: String {
        var t = "format: bmru-batch\nversion: 1\nl0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for k in 1...9 { t += "l\(k): &l\(k) [" + Array(repeating: "*l\(k - 1)", count: 9).joined(separator: ",") + "]\n" }
        return t + "networks: *l9\n"
    }

    @Test("a billion-laughs manifest is refused at its first anchor, naming the file and the place")
    func billionLaughs() {
        // refused at the first anchor (the place named below), so nothing is ever expanded
        let e = refusal(Self.laughs)
        #expect(e?.file == "m.yaml")
        // the first anchor: line 3, `l0: &l0` -> column 5
        #expect(e?.field == "line 3, column 5", "\(String(describing: e))")
        #expect(e?.reason.contains("anchors") == true)
        #expect(e?.description.hasPrefix("m.yaml: line 3, column 5: ") == true)
        // aliases alone (an undefined anchor) and merge keys are refused the same way
        #expect(refusal("format: bmru-batch\nnetworks: *x\n")?.field == "line 2, column 11")
        #expect(refusal("a: {b: 1}\nc:\n  <<: *a\n")?.reason.contains("aliases") == true)
    }

    @Test("nesting deeper than 64 levels (flow) or 128 columns (block) is refused before parsing")
    func depth() {
        let flow = "networks: " + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "\n"
        let e = refusal(flow)
        #expect(e?.field == "line 1, column \(11 + 64)" && e?.reason.contains("nested too deeply") == true, "\(String(describing: e))")
        var block = "format: bmru-batch\n"
        for k in 0..<70 { block += String(repeating: "  ", count: k) + "k\(k):\n" }
        let b = refusal(block)
        #expect(b?.reason.contains("nested too deeply") == true, "\(String(describing: b))")
        // compact sequences nest on one line
        let dashes = "networks:\n" + String(repeating: "- ", count: 80) + "x\n"
        #expect(refusal(dashes)?.reason.contains("nested too deeply") == true)
        #expect(refusal(String(repeating: "#", count: (1 << 20) + 1))?.reason.contains("more than the limit") == true)
    }

    @Test("quoted text, comments, mid-word * and & and apostrophes are not anchors")
    func noFalseAlarms() {
        let text = """
        format: bmru-batch   # &not-an-anchor, *nor-an-alias
        version: 1
        name: don't-care
        comment: "*quoted* and &this"
        note: 'it''s *fine*'
        formula: a*b&c
        list: [x*y, "*z"]
        networks: []

        """
        let e = refusal(text)
        // the prescan lets it through; the manifest's own rules then stop at the first offending key
        #expect(e?.field != nil && e?.field.hasPrefix("line") == false, "\(String(describing: e))")
    }

    @Test("a manifest naming a network beyond the hard limits is refused when read, naming the network and the field")
    func networkBeyondLimits() throws {
        let dir = try TestEnvironment.temporaryDirectory("manifest-range")
        let tiny = try String(contentsOfFile: TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path, encoding: .utf8)
        try tiny.replacingOccurrences(of: "[[1.0, -0.4]", with: "[[1000, -0.4]").write(toFile: dir + "/net.json", atomically: true, encoding: .utf8)
        try "x0,x1\n0.1,0.2\n".write(toFile: dir + "/s.csv", atomically: true, encoding: .utf8)
        let m = dir + "/m.yaml"
        try "format: bmru-batch\nversion: 1\nnetworks: [net.json]\nstimuli: [s.csv]\n".write(toFile: m, atomically: true, encoding: .utf8)
        #expect {
            _ = try BatchManifest.load(path: m)
        } throws: { e in
            guard let e = e as? BatchError else { return false }
            // |w| = 1000: ⌈0.9896 · 1000⌉ = 990 fingers > 256
            return e.file == m && e.field == "networks[0]" && e.reason.contains("layers[0].weights[0][0]") && e.reason.contains("990 fingers")
        }
    }

    @Test("a co-simulation of zero frames is refused before a deck is emitted")
    func zeroFrames() {
        let net = Network(name: "z", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "a", kind: .dense, weights: [[1]], bias: [0], activation: .identity)])
        #expect {
            _ = try CoSimulation.prepare(network: net, stimulus: Stimulus(frames: [], inputs: 1), options: CoSimOptions(modelsDirectory: "/nonexistent"))
        } throws: { e in
            guard let e = e as? CoSimError else { return false }
            return e.kind == .input && e.message.contains("no frames")
        }
    }
}
