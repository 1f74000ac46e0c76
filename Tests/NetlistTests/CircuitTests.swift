import BMRUModel
import Foundation
import Netlist
import Ngspice
import TestSupport
import Testing

/// Real ngspice on the real GF180MCU models.
@Suite("Emitted circuits in ngspice")
struct CircuitTests {
    func options(analysis: DeckAnalysis = .transient) throws -> DeckOptions {
        DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory(), analysis: analysis)
    }

    func run(_ deck: String) throws -> SimulationResult {
        try Simulator.shared.run(SimulationRequest(deck: deck, timeout: 300))
    }

    /// Two cells (θ_low 0.3, θ_high 0.6), identity weights, through hold, set and reset:
    ///   frame  x0    x1    -> s0 s1   (initial state 0, 1)
    ///   0      0.45  0.45     0  1    both inside the band: hold the initial states
    ///   1      0.8   0.1      1  0    set unit 0, reset unit 1
    ///   2      0.45  0.45     1  0    hold
    ///   3      0.1   0.9      0  1    reset 0, set 1
    ///   4      0.45  0.45     0  1    hold
    ///   5      0     0        0  0    reset 1
    /// Outputs level·s with levels 1 and 0.5.
    @Test("two-unit network follows a hand-worked sequence through hold, set and reset")
    func handWorkedSequence() throws {
        let net = Network(name: "seq", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 2, layers: [
            Layer(name: "cells", kind: .bmru, weights: [[1, 0], [0, 1]], bias: [0, 0],
                  thetaLow: [0.3, 0.3], thetaHigh: [0.6, 0.6], level: [1.0, 0.5], initialState: [0, 1]),
        ])
        let x: [[Double]] = [[0.45, 0.45], [0.8, 0.1], [0.45, 0.45], [0.1, 0.9], [0.45, 0.45], [0, 0]]
        let want: [[Int]] = [[0, 1], [1, 0], [1, 0], [0, 1], [0, 1], [0, 0]]
        let stim = Stimulus(frames: x, inputs: 2)
        // the hand-worked states are also what the ideal model says
        let model = IdealModel(network: net).run(stim)
        #expect(model.layers[0].states == want)

        let deck = try DeckEmitter.emit(network: net, stimulus: stim, options: try options())
        let r = try run(deck.text)
        let t = try #require(r.vector("time"))
        for k in 0..<x.count {
            let tEnd = Double(k + 1) * 0.01 * 0.998
            let n = t.firstIndex { $0 >= tEnd } ?? t.count - 1
            for u in 0..<2 {
                let s = try #require(r.vector("v(s_cells_\(u))"))[n]
                let out = try #require(r.vector("i(vo_cells_\(u))"))[n] / 1e-9
                let bit = s > 0.9 ? 1 : 0
                #expect(bit == want[k][u], "frame \(k) unit \(u): state \(s) V")
                let level = u == 0 ? 1.0 : 0.5
                let expected = Double(want[k][u]) * level
                #expect(abs(out - expected) < 0.05 * level, "frame \(k) unit \(u): output \(out) units, expected \(expected)")
                // rail to rail
                #expect(s < 0.15 || s > 1.7, "frame \(k) unit \(u): state node at \(s) V is not at a rail (low sits one degeneration-diode V_GS at leakage, ~0.1 V)")
            }
        }
    }

    /// `ngspice -b DECK.sp` alone runs the emitted deck, writes the raw file and warns about nothing.
    @Test("emitted decks run standalone under ngspice -b without warnings")
    func standalone() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("standalone")
        var o = try options()
        var decks: [(String, Network, Stimulus?)] = [("small", Nets.small(), Nets.smallStimulus)]
        // and every example network shipped with the project (one frame, zero inputs: a parse-and-run check)
        let examples = TestEnvironment.packageRoot.appendingPathComponent("examples").path
        for f in ((try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []).sorted() where f.hasSuffix(".json") {
            if let net = try? NetworkFile.load(path: examples + "/" + f) { decks.append((String(f.dropLast(5)), net, nil)) }
        }
        for (name, net, stim) in decks {
            o.rawPath = dir + "/\(name).raw"
            let d = try DeckEmitter.emit(network: net, stimulus: stim, options: o)
            try d.text.write(toFile: dir + "/\(name).sp", atomically: true, encoding: .utf8)
            let r = try TestEnvironment.run(ngspice, ["-b", dir + "/\(name).sp"], cwd: dir)
            #expect(r.status == 0, "\(name): ngspice exit \(r.status)\n\(r.stderr.suffix(800))")
            let text = (r.stdout + "\n" + r.stderr).lowercased()
            // convergence-aid notes ("warning: further gmin increment" while finding the operating point of
            // a deck with all inputs at 0) are not problems with the deck; parameter and model warnings are
            let lines = text.split(separator: "\n").filter { !$0.contains("gmin") }.joined(separator: "\n")
            for bad in ["unknown parameter", "unknown model", "unrecognized", "error", "can't find", "not found", "parameter"]
            where lines.contains(bad) {
                Issue.record("\(name): ngspice said '\(bad)':\n\(lines.split(separator: "\n").filter { $0.contains(bad) }.prefix(5).joined(separator: "\n"))")
            }
            let warnings = lines.split(separator: "\n").filter { $0.contains("warning") }
            #expect(warnings.isEmpty, "\(name): \(warnings.prefix(5).joined(separator: "\n"))")
            let raw = FileManager.default.contents(atPath: dir + "/\(name).raw")
            #expect((raw?.count ?? 0) > 1000, "\(name): no raw file written")
        }
    }
}
