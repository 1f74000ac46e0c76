import BMRUModel
import Foundation
import Netlist
import TestSupport
import Testing

/// Small networks built in code (the tests do not depend on the network-file reader).
enum Nets {
    /// 2 inputs -> dense relu 2 -> bmru 2 -> dense relu 2 with residual -> identity 2, with a zero weight,
    /// a weight below the minimum that is dropped and one that is rounded up, negative and positive biases.
    static func small() -> Network {
        Network(name: "small", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
            Layer(name: "pre", kind: .dense, weights: [[1.0, -0.5], [0.3, 0.8]], bias: [0.1, -0.2]),
            Layer(name: "cell", kind: .bmru, weights: [[1.0, 0.0], [0.03, 1.0]], bias: [0, 0],
                  thetaLow: [0.3, 0.2], thetaHigh: [0.5, 0.4], level: [1.0, 0.8], initialState: [0, 1]),
            Layer(name: "post", kind: .dense, weights: [[0.5, 0.06], [1, -0.1]], bias: [0, 0.1], residual: "cell"),
            Layer(name: "out", kind: .dense, weights: [[1, -1], [-0.5, 0.7]], bias: [0.2, -0.1], activation: .identity),
        ])
    }

    static let smallStimulus = Stimulus(frames: [[0.2, 0.1], [0.8, 0.2], [1.0, -0.3]], inputs: 2)
}

@Suite("Deck emitter")
struct EmitterTests {
    func options(_ models: String = "models/gf180mcu") -> DeckOptions {
        DeckOptions(modelsDirectory: models, networkSHA256: String(repeating: "ab", count: 32), rawPath: "golden.raw")
    }

    @Test("same inputs give byte-identical deck and mapping")
    func deterministic() throws {
        let a = try DeckEmitter.emit(network: Nets.small(), stimulus: Nets.smallStimulus, options: options())
        let b = try DeckEmitter.emit(network: Nets.small(), stimulus: Nets.smallStimulus, options: options())
        #expect(a.text == b.text)
        #expect(a.mappingJSON == b.mappingJSON)
    }

    @Test("the mapping JSON decodes back to the identical mapping")
    func mappingRoundTrip() throws {
        let d = try DeckEmitter.emit(network: Nets.small(), stimulus: Nets.smallStimulus, options: options())
        let back = try JSONDecoder().decode(DeckMapping.self, from: d.mappingJSON)
        #expect(back == d.mapping)
    }

    /// Golden snapshot: reviewed by a person; regenerate on purpose with BMRU_REGENERATE_GOLDEN=1.
    @Test("golden snapshot of a small deck and its mapping")
    func golden() throws {
        let d = try DeckEmitter.emit(network: Nets.small(), stimulus: Nets.smallStimulus, options: options())
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        let deckURL = dir.appendingPathComponent("small.sp"), mapURL = dir.appendingPathComponent("small.mapping.json")
        if ProcessInfo.processInfo.environment["BMRU_REGENERATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try d.text.write(to: deckURL, atomically: true, encoding: .utf8)
            try d.mappingJSON.write(to: mapURL)
        }
        let want = try String(contentsOf: deckURL, encoding: .utf8)
        let wantMap = try Data(contentsOf: mapURL)
        if want != d.text {
            let a = want.split(separator: "\n", omittingEmptySubsequences: false)
            let b = d.text.split(separator: "\n", omittingEmptySubsequences: false)
            let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record("deck differs from Golden/small.sp at line \(k + 1): golden '\(k < a.count ? a[k] : "<end>")' vs now '\(k < b.count ? b[k] : "<end>")'")
        }
        #expect(wantMap == d.mappingJSON, "mapping differs from Golden/small.mapping.json")
    }

    @Test("the mapping lists every learned parameter, including zero and too-small weights")
    func mappingComplete() throws {
        let net = Nets.small()
        let d = try DeckEmitter.emit(network: net, stimulus: nil, options: options())
        let names = Set(d.mapping.parameters.map(\.parameter))
        var expected = 0
        for l in net.layers {
            for j in 0..<l.outputs {
                for i in 0..<l.inputs {
                    #expect(names.contains("\(l.name).weights[\(j)][\(i)]"))
                    expected += 1
                }
                #expect(names.contains("\(l.name).bias[\(j)]")); expected += 1
                if l.kind == .bmru {
                    for p in ["theta_low", "theta_high", "level", "initial_state"] {
                        #expect(names.contains("\(l.name).\(p)[\(j)]")); expected += 1
                    }
                }
            }
        }
        let learned = d.mapping.parameters.filter { !$0.parameter.contains(".residual[") && !$0.parameter.contains(".relu_copy[") }
        #expect(learned.count == expected)
        func entry(_ p: String) -> ParameterRealization? { d.mapping.parameters.first { $0.parameter == p } }
        #expect(entry("cell.weights[0][1]")?.realization == "zero")
        // 0.03 < minimum/2 (minimum ≈ 0.079): dropped, realised 0, error -0.03
        let dropped = try #require(entry("cell.weights[1][0]"))
        #expect(dropped.realization == "below_minimum_dropped")
        #expect(abs(dropped.error + 0.03) < 1e-12)
        // 0.06 ≥ minimum/2: one minimum (0.5 µm) finger
        let rounded = try #require(entry("post.weights[0][1]"))
        #expect(rounded.realization == "below_minimum_rounded")
        #expect(rounded.fingerWidthUm == 0.5)
        // -0.1: one narrow-bin finger
        let narrow = try #require(entry("post.weights[1][1]"))
        #expect(narrow.realization == "narrow_finger")
        #expect(abs(narrow.error) < 0.002)
        // every device named in the mapping exists in the deck
        for p in d.mapping.parameters {
            for e in p.elements where !e.hasPrefix(".") { #expect(d.text.contains("\n\(e) "), "element \(e) missing") }
        }
    }

    @Test("probe names follow the contract")
    func probes() throws {
        let d = try DeckEmitter.emit(network: Nets.small(), stimulus: Nets.smallStimulus, options: options())
        for card in ["\niin_0 0 in_0 ", "\niin_1 0 in_1 ", "\nvdd_pre vdd_pre 0 1.8", "\nvdd_bias vdd_bias 0 1.8",
                     "\nvo_pre_0 ", "\nvo_cell_1 ", "\nvo_post_0 ", "\nvo_out_0_p ", "\nvo_out_1_n ", " s_cell_0 ", " s_cell_1 "] {
            #expect(d.text.contains(card), "missing \(card)")
        }
        // frame k's value from k*T; frame 2's input 1 is negative and clipped to 0
        #expect(d.text.contains("iin_1 0 in_1 dc 1e-10 pwl(0 1e-10 0.01 1e-10 0.01001 2e-10 0.02 2e-10 0.02001 0)"))
        #expect(d.text.contains(".tran 0.0025 0.03"))
        #expect(d.text.contains(".ic v(s_cell_0)=0 v(x_cell_0)=1.8"))
        #expect(d.text.contains(".ic v(s_cell_1)=1.8 v(x_cell_1)=0"))
        for l in d.text.split(separator: "\n") where !l.hasPrefix("*") && !l.hasPrefix(".include") && !l.hasPrefix(".lib") {
            #expect(l == l.lowercased(), "upper case in '\(l)'")
        }
    }

    @Test("a layer name carrying .control/shell text is refused before anything is written")
    func injection() throws {
        var net = Nets.small()
        net.layers[1].name = "cell\n.control\nshell touch /tmp/pwned\n.endc"
        let dir = try TestEnvironment.temporaryDirectory("inject")
        let deckPath = dir + "/deck.sp"
        #expect(throws: NetlistError.self) {
            let d = try DeckEmitter.emit(network: net, stimulus: nil, options: options())
            try d.text.write(toFile: deckPath, atomically: true, encoding: .utf8)
        }
        do {
            _ = try DeckEmitter.emit(network: net, stimulus: nil, options: options())
        } catch let e as NetlistError {
            #expect(e.kind == .invalidName)
            #expect(e.field == "layers[1].name")
        }
        #expect(!FileManager.default.fileExists(atPath: deckPath))
        // a residual naming something odd, a quote in the models path, a dc sweep naming an odd source
        var net2 = Nets.small()
        net2.layers[2].residual = "cell;shell"
        #expect(throws: NetlistError.self) { try DeckEmitter.emit(network: net2, stimulus: nil, options: options()) }
        #expect(throws: NetlistError.self) {
            try DeckEmitter.emit(network: Nets.small(), stimulus: nil, options: options("models\"\n.control"))
        }
        var o = options()
        o.analysis = .dcSweep(source: "iin_0\nshell", start: 0, stop: 1e-9, step: 1e-11)
        #expect(throws: NetlistError.self) { try DeckEmitter.emit(network: Nets.small(), stimulus: nil, options: o) }
        // names equal ignoring case collide in SPICE
        var net3 = Nets.small()
        net3.layers[1].name = "PRE"
        #expect(throws: NetlistError.self) { try DeckEmitter.emit(network: net3, stimulus: nil, options: options()) }
        // and the command line refuses such a file with exit status 2 and writes nothing
        let bmru = try TestEnvironment.bmruExecutable()
        let bad = """
        {"format": "bmru-network", "version": 1, "name": "evil", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 1,
         "layers": [{"name": "a\\n.control\\nshell touch /tmp/pwned\\n.endc", "kind": "dense", "weights": [[1]], "bias": [0]}]}
        """
        try bad.write(toFile: dir + "/evil.json", atomically: true, encoding: .utf8)
        let r = try TestEnvironment.run(bmru, ["netlist", dir + "/evil.json", "-o", deckPath, "--models", try TestEnvironment.modelsDirectory()])
        #expect(r.status == 2)
        #expect(!FileManager.default.fileExists(atPath: deckPath))
        #expect(!FileManager.default.fileExists(atPath: dir + "/deck.mapping.json"))
    }

    @Test("weights are sized so effective widths are in the trained ratio")
    func widths() throws {
        for w in [0.15, 0.2, 0.37, 0.5, 1, 1.5, 2.25, 3, 4, 7.3] {
            let r = WeightRealization.realize(w)
            #expect(r.kind == .fingers)
            #expect(r.fingerWidth >= Technology.minFingerWidth && r.fingerWidth <= Technology.maxFingerWidth + 0.005)
            // grid rounding is 2.5 nm on a ≥1.2 µm finger: < 0.25 % error
            #expect(abs(r.realizedMagnitude / w - 1) < 0.0025, "w \(w) realised \(r.realizedMagnitude)")
            // the drawn fingers' widths are on the 5 nm grid
            let g = r.fingerWidth / Technology.grid
            #expect(abs(g - g.rounded()) < 1e-6)
        }
        for w in [0.08, 0.1, 0.12, 0.14] {
            let r = WeightRealization.realize(w)
            #expect(r.kind == .narrowFinger)
            #expect(r.fingerWidth >= 0.5 && r.fingerWidth < Technology.minFingerWidth)
            #expect(abs(r.realizedMagnitude / w - 1) < 0.01, "w \(w) realised \(r.realizedMagnitude)")
        }
        #expect(WeightRealization.realize(0).kind == .zero)
        #expect(WeightRealization.realize(-0.01).kind == .belowMinimumDropped)
        #expect(WeightRealization.realize(0.05).kind == .belowMinimumRounded)
    }
}
