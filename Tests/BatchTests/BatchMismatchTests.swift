import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
@testable import Netlist
import Ngspice
import TestSupport
import Testing

/// Monte Carlo mismatch samples: real ngspice, in this process.
@Suite("Batch mismatch samples", .serialized)
struct BatchMismatchTests {
    func tiny() throws -> (Network, Stimulus) {
        let net = try NetworkFile.load(path: BatchFixtures.tinyNetwork)
        return (net, StimulusFile.random(inputs: net.inputs, frames: 4, seed: 9, density: 0.25))
    }

    /// the numbers of a report that come from the simulation (timing left out)
    func numbers(_ r: AgreementReport) -> [Double] {
        var v = [r.state_agreement, r.decision_agreement]
        for k in r.layers.keys.sorted() { v += [r.layers[k]!.rms_error_a, r.layers[k]!.max_abs_error_a] }
        for k in r.power_w.keys.sorted() { v.append(r.power_w[k]!) }
        return v
    }

    @Test("the same seed reproduces exactly after other runs in the same process; other seeds and nominal differ")
    func sameSeed() throws {
        let (net, stim) = try tiny()
        func run(_ seed: UInt64?) throws -> [Double] {
            var o = CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory())
            o.mismatchSeed = seed
            let outcome = try CoSimulation.run(network: net, stimulus: stim, options: o)
            #expect(outcome.report.conditions.mismatch_seed == seed)
            return numbers(outcome.report)
        }
        let a = try run(5), b = try run(6), nominal = try run(nil), again = try run(5)
        #expect(a == again, "seed 5 twice: \(a) vs \(again)")
        #expect(a != b)
        #expect(a != nominal && b != nominal)
    }

    @Test("mismatch decks: seed and switch in the header, a draw per device; invalid seeds refused")
    func deckText() throws {
        let (net, stim) = try tiny()
        var o = DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory())
        let nominal = try DeckEmitter.emit(network: net, stimulus: stim, options: o).text
        o.mismatchSeed = 77
        let mc = try DeckEmitter.emit(network: net, stimulus: stim, options: o).text
        #expect(nominal.contains(".param sw_stat_global=0 sw_stat_mismatch=0") && !nominal.contains("delvto"))
        #expect(mc.contains(".param sw_stat_global=0 sw_stat_mismatch=1") && mc.contains(".option seed=77"))
        let devices = mc.split(separator: "\n").filter { $0.hasPrefix("m") && ($0.contains(" nmos_3p3 ") || $0.contains(" pmos_3p3 ")) }
        #expect(!devices.isEmpty && devices.allSatisfy { $0.contains("delvto={mis_") })
        for bad: UInt64 in [0, 2_147_483_648] {
            o.mismatchSeed = bad
            #expect(throws: NetlistError.self) { _ = try DeckEmitter.emit(network: net, stimulus: stim, options: o) }
        }
    }

    /// Our per-device draws against the PDK's own: a 1:1 mirror built from the PDK's `.subckt nmos_3p3` wrapper
    /// (which draws delvto per instance when sw_stat_mismatch=1) and the same mirror as plain `m` lines rewritten
    /// by DeckMismatch. Over many seeds the spread of the output current must agree (same σ), and the PDK
    /// constants we copied must be the ones in the model file.
    @Test("per-device mismatch has the spread of the PDK's own statistical wrapper")
    func spreadMatchesPDK() throws {
        let models = try TestEnvironment.modelsDirectory()
        let pdk = try String(contentsOfFile: models + "/sm141064.ngspice", encoding: .utf8)
        for (name, c) in DeckMismatch.devices {
            let start = try #require(pdk.range(of: ".subckt \(name) "))
            let body = pdk[start.upperBound...].prefix(800)
            #expect(body.contains("par_vth=\(NumberText.spice(c.parVth))"), "\(name) par_vth")
            #expect(body.contains("par_l=\(NumberText.spice(c.parL))") && body.contains("par_w=\(NumberText.spice(c.parW))"), "\(name) par_l / par_w")
        }
        func deck(_ devices: String, seed: Int) -> String {
            """
            * mirror
            .include "\(models)/design.ngspice"
            .lib "\(models)/sm141064.ngspice" typical
            .param sw_stat_global=0 sw_stat_mismatch=1
            .option seed=\(seed)
            \(devices)
            iin vdd d 1n
            vdd vdd 0 1.8
            vo vdd o 0
            .op
            .end
            """
        }
        // two fingers in the reference, two in the output: the PDK way is one wrapper instance per finger
        let wrapper = "xa1 d d 0 0 nmos_3p3 w=4u l=2u\nxa2 d d 0 0 nmos_3p3 w=4u l=2u\nxb1 o d 0 0 nmos_3p3 w=4u l=2u\nxb2 o d 0 0 nmos_3p3 w=4u l=2u"
        let size = [SpiceParameter("w", "4u"), SpiceParameter("l", "2u"), SpiceParameter("m", "2")]
        let pair = SpiceCard.subcircuit(SpiceSubcircuit(name: "pair", ports: ["d", "o"], cards: [
            .element(SpiceElement(name: "m1", nodes: ["d", "d", "0", "0"], model: "nmos_3p3", parameters: size)),
            .element(SpiceElement(name: "m2", nodes: ["o", "d", "0", "0"], model: "nmos_3p3", parameters: size)),
        ]))
        let ours = SpiceDeck(cards: DeckMismatch.library([pair]) + [.element(.instance("x1", ["d", "o"], "pair"))]).text
        func spread(_ devices: String) throws -> (mean: Double, sd: Double) {
            var v: [Double] = []
            for seed in 1...24 {
                let r = try Simulator.shared.run(SimulationRequest(deck: deck(devices, seed: seed), vectors: ["i(vo)"], timeout: 60))
                v.append(abs(try #require(r.vector("i(vo)")?.first)) / 1e-9)
            }
            let mean = v.reduce(0, +) / Double(v.count)
            let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
            return (mean, sd)
        }
        let a = try spread(wrapper), b = try spread(ours)
        // σ_Vth per finger ≈ 0.7071·7.148 mV·µm / √(1.85 µm · 4.1 µm) ≈ 1.8 mV; in weak inversion (n·U_T ≈ 35 mV)
        // that is ≈ 5 % of current per finger, ≈ 5 % for the mirror ratio with two fingers each side
        #expect(a.sd > 0.02 && a.sd < 0.12, "PDK wrapper spread \(a.sd)")
        #expect(b.sd / a.sd > 0.6 && b.sd / a.sd < 1.65, "spread ours \(b.sd) vs PDK \(a.sd)")
        #expect(abs(a.mean - b.mean) < 0.05, "means \(a.mean) vs \(b.mean)")
    }
}
