import Foundation
import Testing
import TestSupport
@testable import BMRUModel

// The ramp ADC's mathematics, the crossbar-rnn-network format and the crossbar models. Expectations are
// worked out by hand or from closed forms (atanh, logit), not from the code under test.

@Suite struct RampADCTests {
    @Test func identityTwoBitsHasHandThresholds() throws {
        let adc = try RampADC(function: .identity, bits: 2, inputRange: 0...3)
        #expect(adc.levels == 4 && adc.lsb == 1)
        // mid-points between levels 0,1,2,3
        for (t, e) in zip(adc.thresholds, [0.5, 1.5, 2.5]) { #expect(abs(t - e) < 1e-9) }
        #expect(adc.code(0.49) == 0 && adc.code(0.51) == 1 && adc.code(2.6) == 3 && adc.code(-5) == 0 && adc.code(9) == 3)
        #expect(adc(1.7) == 2)
    }

    @Test func tanhAndSigmoidThresholdsAreInverseImagesOfMidpoints() throws {
        let t = try RampADC(function: .tanh, bits: 5, inputRange: -3...3)
        let lo = Foundation.tanh(-3.0), step = 2 * Foundation.tanh(3.0) / 31
        for k in 1...31 {
            #expect(abs(t.thresholds[k - 1] - atanh(lo + (Double(k) - 0.5) * step)) < 1e-9)
        }
        let s = try RampADC(function: .sigmoid, bits: 5, inputRange: -6...6)
        let slo = 1 / (1 + exp(6.0)), sstep = (1 / (1 + exp(-6.0)) - slo) / 31
        for k in [1, 16, 31] {
            let y = slo + (Double(k) - 0.5) * sstep
            #expect(abs(s.thresholds[k - 1] - log(y / (1 - y))) < 1e-9)
        }
    }

    @Test func quantizedActivationIsNearestLevelOfF() throws {
        // brute force: the nearest of the 32 levels to tanh(x), by scanning them
        let adc = try RampADC(function: .tanh, bits: 5, inputRange: -3...3)
        let levels = (0..<32).map { adc.outputLow + Double($0) * adc.lsb }
        for i in 0...600 {
            let x = -3 + Double(i) * 0.01
            let y = Foundation.tanh(x)
            let nearest = levels.min { abs($0 - y) < abs($1 - y) }!
            let gap = levels.map { abs($0 - y) }.sorted()
            if gap[1] - gap[0] < 1e-9 { continue }  // a tie at a threshold
            #expect(abs(adc(x) - nearest) < 1e-12, "x = \(x)")
        }
    }

    @Test func reluAndTableThresholds() throws {
        // relu over [-2, 2], 2 bits: levels 0, 2/3, 4/3, 2; thresholds at 1/3, 1, 5/3 (the flat part has none)
        let r = try RampADC(function: .relu, bits: 2, inputRange: -2...2)
        for (t, e) in zip(r.thresholds, [1.0 / 3, 1, 5.0 / 3]) { #expect(abs(t - e) < 1e-9) }
        #expect(r.code(-1.5) == 0)
        // table (0,0) (1,2) (3,3): levels 0,1,2,3; y = 0.5 at x = 0.25, 1.5 at 0.75, 2.5 at 2
        let tb = try RampADC(function: .table(x: [0, 1, 3], y: [0, 2, 3]), bits: 2, inputRange: 0...3)
        for (t, e) in zip(tb.thresholds, [0.25, 0.75, 2.0]) { #expect(abs(t - e) < 1e-9) }
    }

    @Test func badSettingsAreRefusedWithTheField() {
        #expect(throws: RampADCError.self) { try RampADC(function: .tanh, bits: 0, inputRange: -1...1) }
        do {
            _ = try RampADC(function: .relu, bits: 4, inputRange: -2 ... -1)
            Issue.record("a constant function was accepted")
        } catch { #expect(error.field == "input_range" && error.reason.contains("constant")) }
        do {
            _ = try RampADC(function: .table(x: [0, 1], y: [1, 0]), bits: 4, inputRange: 0...1)
            Issue.record("a decreasing table was accepted")
        } catch { #expect(error.field == "table" && error.reason.contains("must not decrease")) }
    }
}

@Suite struct CrossbarNetworkFileTests {
    static let example = TestEnvironment.packageRoot.appendingPathComponent("examples/crossbar-tiny.json").path

    static func json(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: example))) as! [String: Any]
        edit(&root)
        return try JSONSerialization.data(withJSONObject: root)
    }

    static func layer(_ root: inout [String: Any], _ k: Int, _ edit: (inout [String: Any]) -> Void) {
        var layers = root["layers"] as! [[String: Any]]
        edit(&layers[k])
        root["layers"] = layers
    }

    func problem(_ data: Data) -> FormatError? {
        do { _ = try CrossbarNetworkFile.decode(data, file: "x.json"); return nil } catch { return error as? FormatError }
    }

    @Test func exampleLoadsAndRoundTrips() throws {
        let n = try CrossbarNetworkFile.load(path: Self.example)
        #expect(n.layers.map(\.kind) == [.rnn, .dense] && n.layers[0].units == 3 && n.layers[0].adcBits == 5)
        #expect(n.layers[0].recurrentWeights?[1] == [0.3, 0.5, -0.6] && n.layers[1].activation == .identity)
        let text = try CrossbarNetworkFile.encode(n)
        #expect(try CrossbarNetworkFile.decode(text, file: "rt.json") == n)
        #expect(try CrossbarNetworkFile.encode(CrossbarNetworkFile.decode(text, file: "rt.json")) == text)
        #expect(CrossbarNetworkFile.format(ofFileAt: Self.example) == "crossbar-rnn-network")
    }

    @Test func tableActivationRoundTrips() throws {
        let data = try Self.json { r in Self.layer(&r, 0) { $0["activation"] = ["x": [-1, 0, 1], "y": [-1, 0.2, 1]] } }
        let n = try CrossbarNetworkFile.decode(data, file: "t.json")
        #expect(n.layers[0].activation == .table(x: [-1, 0, 1], y: [-1, 0.2, 1]))
        #expect(try CrossbarNetworkFile.decode(CrossbarNetworkFile.encode(n), file: "t2.json") == n)
    }

    @Test(arguments: [
        ("layers[0].recurrent_weights", "missing"),
        ("layers[1].recurrent_weights", "not allowed in a crossbar_dense layer"),
        ("layers[0].weights[1]", "expected 2"),
        ("layers[0].adc_bits", "must be in 1...10"),
        ("conductance_range", "low < high"),
        ("layers[0].activation", "expected one of"),
        ("layers[0].initial_state[0]", "output range"),
        ("layers[1].kind", "expected \"crossbar_rnn\" or \"crossbar_dense\""),
        ("layers[1].weights[0]", "previous layer's units"),
        ("layers[1].adc_range", "constant"),
    ])
    func badFilesNameTheField(field: String, reason: String) throws {
        let data = try Self.json { r in
            switch field {
            case "layers[0].recurrent_weights": Self.layer(&r, 0) { $0.removeValue(forKey: "recurrent_weights") }
            case "layers[1].recurrent_weights": Self.layer(&r, 1) { $0["recurrent_weights"] = [[1]] }
            case "layers[0].weights[1]": Self.layer(&r, 0) { $0["weights"] = [[1, 2], [1], [1, 2]] }
            case "layers[0].adc_bits": Self.layer(&r, 0) { $0["adc_bits"] = 11 }
            case "conductance_range": r["conductance_range"] = [1e-4, 1e-6]
            case "layers[0].activation": Self.layer(&r, 0) { $0["activation"] = "softplus" }
            case "layers[0].initial_state[0]": Self.layer(&r, 0) { $0["initial_state"] = [1.5, 0, 0] }
            case "layers[1].kind": Self.layer(&r, 1) { $0["kind"] = "dense" }
            case "layers[1].weights[0]": Self.layer(&r, 1) { $0["weights"] = [[1, 2]] }
            default: Self.layer(&r, 1) { $0["activation"] = "relu"; $0["adc_range"] = [-3, -1] }
            }
        }
        let p = try #require(problem(data))
        #expect(p.file == "x.json" && p.field == field && p.reason.contains(reason), "\(p)")
    }

    @Test func bmruNetworkFileIsNotACrossbarFile() throws {
        let p = try #require(problem(Data(#"{"format": "bmru-network", "version": 1}"#.utf8)))
        #expect(p.field == "format" && p.reason.contains("expected \"crossbar-rnn-network\""))
    }
}

@Suite struct CrossbarModelTests {
    static func oneUnit(_ activation: ActivationFunction, bits: Int, range: ClosedRange<Double>) -> CrossbarNetwork {
        CrossbarNetwork(name: "one", inputs: 1, framePeriod: 0.01, inputRange: -4...4, conductanceRange: 1e-6...1e-4,
                        layers: [CrossbarLayer(name: "rnn", kind: .rnn, weights: [[1]], recurrentWeights: [[0.5]], bias: [0],
                                               activation: activation, adcBits: bits, adcRange: range)])
    }

    @Test func quantizedRecurrenceByHand() {
        // identity ADC over [0, 7], 3 bits: levels 0...7, code = round(pre) clamped
        // pre1 = 0.4 -> 0; pre2 = 1.2 + 0.5·0 = 1.2 -> 1; pre3 = 2.6 + 0.5·1 = 3.1 -> 3; pre4 = 9 + 1.5 -> 7
        let net = Self.oneUnit(.identity, bits: 3, range: 0...7)
        let t = CrossbarModel(network: net, mode: .quantized).run(Stimulus(frames: [[0.4], [1.2], [2.6], [9]], inputs: 1))
        let l = t.layers[0]
        #expect(l.codes == [[0], [1], [3], [7]] && l.outputs == [[0], [1], [3], [7]])
        #expect(zip(l.preActivations.map { $0[0] }, [0.4, 1.2, 3.1, 10.5]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func idealRecurrenceIsTanh() {
        let net = Self.oneUnit(.tanh, bits: 5, range: -3...3)
        let xs = [0.3, -1.1, 2.0, 5.0]
        let t = CrossbarModel(network: net, mode: .ideal).run(Stimulus(frames: xs.map { [$0] }, inputs: 1))
        var h = 0.0
        for (k, x) in xs.enumerated() {
            h = Foundation.tanh(min(max(x + 0.5 * h, -3), 3))
            #expect(abs(t.layers[0].outputs[k][0] - h) < 1e-12)
        }
    }

    @Test func readNoiseIsSeededAndShiftsThePreActivation() throws {
        let net = try CrossbarNetworkFile.load(path: CrossbarNetworkFileTests.example)
        let stim = Stimulus(frames: (0..<200).map { [sin(Double($0) / 7), cos(Double($0) / 5)] }, inputs: 2)
        var r = CrossbarRealisation(layers: net.layers.map(CrossbarLayerRealisation.init(nominal:)), seed: 3)
        let clean = CrossbarModel(network: net).run(stim, realisation: r)
        #expect(clean == CrossbarModel(network: net).run(stim))
        r.layers[0].readNoiseSigma = 0.05
        let a = CrossbarModel(network: net).run(stim, realisation: r), b = CrossbarModel(network: net).run(stim, realisation: r)
        #expect(a == b)
        // frame 0 has no recurrence yet: the difference is the noise draw itself; its RMS over units and
        // frames is near σ only in frame 0, so check frame 0's three draws are nonzero and small
        let d = zip(a.layers[0].preActivations[0], clean.layers[0].preActivations[0]).map { $0 - $1 }
        #expect(d.allSatisfy { $0 != 0 && abs($0) < 0.05 * 5 })
    }
}
