import BMRUModel
import Foundation
import Netlist
import Ngspice
import TestSupport
import Testing

// The crossbar deck of examples/crossbar-tiny.json: its structure against the mapping worked by hand in
// CrossbarMappingTests, determinism, and the deck checks every deck passes.
@Suite struct CrossbarDeckTests {
    static func emit(frames: Int = 3) throws -> (SpiceDeck, CrossbarDeckPlan, CrossbarNetwork) {
        let net = try CrossbarMappingTests.network()
        let stim = Stimulus(frames: (0..<frames).map { [0.5 * Double($0), -0.25] }, inputs: 2)
        let (deck, plan) = try CrossbarDeck.emit(network: net, stimulus: stim, options: DeckOptions(modelsDirectory: "/models"))
        return (deck, plan, net)
    }

    @Test func arrayResistorsAreTheMappedConductances() throws {
        let (deck, plan, _) = try Self.emit()
        let text = deck.text
        // layer 0, unit 0, row x0: G⁺ = g_min + G_unit·2.4 with G_unit = (1e-4 − 1e-6)/3 (CrossbarMappingTests)
        let gPlus = 1e-6 + (1e-4 - 1e-6) / 3 * 2.4
        let line = try #require(SpiceLines.logical(text).first { $0.hasPrefix("r0_x0p ") })
        let ohms = try #require(Double(line.split(separator: " ").last.map(String.init) ?? ""))
        #expect(abs(ohms - 1 / gPlus) / (1 / gPlus) < 1e-9, "\(line)")
        // 3 units × 6 row pairs × 2 devices in layer 0, 1 × 4 × 2 in layer 1
        let arrayResistors = deck.subcircuits.filter { $0.key.hasPrefix("cb_array_") }.values.reduce(0) { n, s in
            n + s.elements.filter { $0.name.hasPrefix("r") }.count
        }
        #expect(arrayResistors == 3 * 6 * 2 + 1 * 4 * 2)
        // one comparator, counter and hold per unit
        let comparators = deck.allElements.filter { $0.model == CrossbarCells.comparatorName }.count
        #expect(comparators == 4 && plan.layers.map(\.counterVectors.count) == [3, 1])
        // the ramp of layer 0 reads its input on G_unit: input scale (g_max − g_min)/G_unit = 3
        #expect(abs(plan.layers[0].program.inputScale - 3) < 1e-12)
    }

    @Test func deterministicAndAcceptedByTheDeckChecks() throws {
        let a = try Self.emit().0.text, b = try Self.emit().0.text
        #expect(a == b)
        let dir = try TestEnvironment.temporaryDirectory("xbar-deck")
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try "* design\n".write(toFile: dir + "/models/design.ngspice", atomically: true, encoding: .utf8)
        try "* lib\n.lib typical\n.endl typical\n".write(toFile: dir + "/models/sm141064.ngspice", atomically: true, encoding: .utf8)
        let net = try CrossbarMappingTests.network()
        let (deck, _) = try CrossbarDeck.emit(network: net, stimulus: Stimulus(frames: [[0.1, 0.2]], inputs: 2),
                                              options: DeckOptions(modelsDirectory: dir + "/models"))
        let flat = try DeckFlattener.flatten(text: deck.text, baseDirectory: dir, name: dir + "/deck.sp")
        // the only thing removed is the deck's own standalone control block
        #expect(flat.removed.count == 1, "\(flat.removed)")
    }

    @Test func layerNamesNeverReachNodeNames() throws {
        var net = try CrossbarMappingTests.network()
        net.layers[0].name = "Rnn_Zq"
        let (deck, _) = try CrossbarDeck.emit(network: net, stimulus: Stimulus(frames: [[0, 0]], inputs: 2),
                                              options: DeckOptions(modelsDirectory: "/models"))
        for e in deck.allElements {
            #expect(!e.name.lowercased().contains("zq") && !e.nodes.contains { $0.lowercased().contains("zq") }, "\(e.name)")
        }
    }

    @Test func anUnsafeModelsPathIsRefused() throws {
        let net = try CrossbarMappingTests.network()
        #expect(throws: CrossbarError.self) {
            try CrossbarDeck.emit(network: net, stimulus: Stimulus(frames: [[0, 0]], inputs: 2),
                                  options: DeckOptions(modelsDirectory: "/m\"; shell"))
        }
    }
}
